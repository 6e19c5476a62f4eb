using System.CommandLine;
using Tandem.Engine.KvCache;
using Tandem.Engine.Weights;

namespace Tandem.Cli;

/// <summary>Builds options the way every Tandem command spells them: dashed names, with the underscore spelling as an alias.</summary>
internal static class Options
{
    public static Option<T> Named<T>(string name, string description, T defaultValue)
    {
        var option = new Option<T>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        var underscored = name.Replace('-', '_');
        if (underscored.StartsWith("__", StringComparison.Ordinal))
        {
            option.Aliases.Add("--" + underscored[2..]);
        }

        return option;
    }

    /// <summary><c>--quantization none|int8|int4</c>: weight-only quantization of the linear layers at load; any other value is a parse error naming the choices.</summary>
    public static Option<WeightQuantization> Quantization()
    {
        var option = Named("--quantization", $"Quantize the linear layers' weights at load: {WeightQuantizations.Names} (int8 = Q8_0, int4 = Q4_0, blocks of 32; rows not a multiple of 32 stay as stored)", WeightQuantization.None);
        option.HelpName = "none|int8|int4";
        option.CustomParser = result =>
        {
            var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "none";
            if (WeightQuantizations.TryParse(token, out var quantization))
            {
                return quantization;
            }

            result.AddError($"--quantization: unknown value '{token}'; use {WeightQuantizations.Names}");
            return WeightQuantization.None;
        };
        return option;
    }

    /// <summary><c>--kv-cache-dtype auto|float32|bfloat16</c>: what the KV cache stores; any other value is a parse error naming the choices.</summary>
    public static Option<KvCacheDType> KvCacheDType()
    {
        var option = Named("--kv-cache-dtype", "What the KV cache stores K and V as: auto or float32 (default), or bfloat16 (half the memory and transfer bytes; K and V rounded)", Engine.KvCache.KvCacheDType.Float32);
        option.HelpName = "auto|float32|bfloat16";
        option.CustomParser = result =>
        {
            var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "auto";
            if (KvCacheDTypes.Parse(token) is { } dtype)
            {
                return dtype;
            }

            result.AddError($"--kv-cache-dtype: unknown value '{token}'; use {KvCacheDTypes.Accepted}");
            return Engine.KvCache.KvCacheDType.Float32;
        };
        return option;
    }
}
