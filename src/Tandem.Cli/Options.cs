using System.CommandLine;
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
}
