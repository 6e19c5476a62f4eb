using System.Text.Json;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Models;

/// <summary>
/// Reads a Hugging Face <c>config.json</c> into a <see cref="ModelConfig"/>. Every problem is
/// collected and reported in one <see cref="ModelLoadException"/>.
/// </summary>
public static class ModelConfigLoader
{
    public const string FileName = "config.json";

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    public static ModelConfig Load(string modelDirectory)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        var path = Path.Combine(modelDirectory, FileName);
        if (!File.Exists(path))
        {
            throw new ModelLoadException(path, ["file not found (a model directory in Hugging Face layout needs config.json)"]);
        }

        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses config.json bytes; <paramref name="path"/> only names the source in errors.</summary>
    public static ModelConfig Parse(ReadOnlySpan<byte> json, string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, [$"not valid JSON: {e.Message}"], e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException(path, ["the top level must be a JSON object"]);
            }

            var reader = new ConfigReader(document.RootElement);
            var config = Read(reader);
            if (reader.Problems.Count > 0 || config is null)
            {
                throw new ModelLoadException(path, reader.Problems);
            }

            return config;
        }
    }

    private static ModelConfig? Read(ConfigReader r)
    {
        var architecture = ReadArchitecture(r);
        var hidden = r.PositiveInt("hidden_size");
        var layers = r.PositiveInt("num_hidden_layers");
        var heads = r.PositiveInt("num_attention_heads");
        var kvHeads = r.PositiveInt("num_key_value_heads", optional: true) ?? heads;
        var headDim = r.PositiveInt("head_dim", optional: true);
        var intermediate = r.PositiveInt("intermediate_size");
        var vocab = r.PositiveInt("vocab_size");
        var eps = r.PositiveFloat("rms_norm_eps");
        var theta = r.PositiveFloat("rope_theta", optional: true) ?? 10000f;
        var tie = r.Bool("tie_word_embeddings") ?? false;
        var maxPositions = r.PositiveInt("max_position_embeddings");
        var bos = r.TokenId("bos_token_id");
        var eos = r.TokenIds("eos_token_id");
        var dtype = ReadDType(r);
        var ropeScaling = ReadRopeScaling(r);

        foreach (var key in (ReadOnlySpan<string>)["attention_bias", "mlp_bias"])
        {
            if (r.Bool(key) == true)
            {
                r.Problems.Add($"{key}: true is not supported (Llama projections have no bias)");
            }
        }

        if (heads is { } h && kvHeads is { } kv && h % kv != 0)
        {
            r.Problems.Add($"num_key_value_heads: {kv} does not divide num_attention_heads ({h})");
        }

        if (headDim is null && hidden is { } hs && heads is { } hh)
        {
            if (hs % hh != 0)
            {
                r.Problems.Add($"hidden_size: {hs} is not divisible by num_attention_heads ({hh}) and head_dim is absent");
            }
            else
            {
                headDim = hs / hh;
            }
        }

        if (headDim is { } hd && hd % 2 != 0)
        {
            r.Problems.Add($"head_dim: {hd} must be even for rotary embeddings");
        }

        if (architecture == "MistralForCausalLM" && r.OptionalInt("sliding_window") is { } window
            && maxPositions is { } mp && window < mp)
        {
            r.Problems.Add($"sliding_window: {window} is smaller than max_position_embeddings ({mp}); sliding-window attention is not supported");
        }

        if (r.Problems.Count > 0)
        {
            return null;
        }

        return new ModelConfig
        {
            Architecture = architecture!,
            HiddenSize = hidden!.Value,
            NumLayers = layers!.Value,
            NumHeads = heads!.Value,
            NumKvHeads = kvHeads!.Value,
            HeadDim = headDim!.Value,
            IntermediateSize = intermediate!.Value,
            VocabSize = vocab!.Value,
            RmsNormEps = eps!.Value,
            RopeTheta = theta,
            RopeScaling = ropeScaling,
            TieWordEmbeddings = tie,
            MaxPositionEmbeddings = maxPositions!.Value,
            BosTokenId = bos,
            EosTokenIds = eos,
            TorchDtype = dtype ?? DType.F32,
        };
    }

    private static string? ReadArchitecture(ConfigReader r)
    {
        if (!r.Root.TryGetProperty("architectures", out var list) || list.ValueKind == JsonValueKind.Null)
        {
            r.Problems.Add("architectures: missing (expected [\"LlamaForCausalLM\"] or [\"MistralForCausalLM\"])");
            return null;
        }

        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0
            || list.EnumerateArray().Any(a => a.ValueKind != JsonValueKind.String))
        {
            r.Problems.Add("architectures: expected a non-empty list of strings");
            return null;
        }

        var names = list.EnumerateArray().Select(a => a.GetString()!).ToArray();
        var supported = names.FirstOrDefault(n => n is "LlamaForCausalLM" or "MistralForCausalLM");
        if (supported is null)
        {
            r.Problems.Add($"architectures: {string.Join(", ", names)} is not supported (expected LlamaForCausalLM or MistralForCausalLM)");
        }

        return supported;
    }

    private static DType? ReadDType(ConfigReader r)
    {
        var key = r.Root.TryGetProperty("torch_dtype", out _) ? "torch_dtype" : "dtype";
        var name = r.String(key);
        return name switch
        {
            null => null,
            "float32" => DType.F32,
            "float16" => DType.F16,
            "bfloat16" => DType.BF16,
            _ => r.Fail<DType>($"{key}: \"{name}\" is not supported (expected float32, float16 or bfloat16)"),
        };
    }

    private static RopeScaling? ReadRopeScaling(ConfigReader r)
    {
        if (!r.Root.TryGetProperty("rope_scaling", out var scaling) || scaling.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (scaling.ValueKind != JsonValueKind.Object)
        {
            return r.Fail<RopeScaling>("rope_scaling: expected an object or null");
        }

        var inner = new ConfigReader(scaling, "rope_scaling.", r.Problems);
        var type = inner.Root.TryGetProperty("rope_type", out _) ? inner.String("rope_type") : inner.String("type");
        switch (type)
        {
            case null:
                return r.Fail<RopeScaling>("rope_scaling: missing rope_type (or type)");
            case "default":
                return null;
            case "llama3":
                var factor = inner.PositiveFloat("factor");
                var low = inner.PositiveFloat("low_freq_factor");
                var high = inner.PositiveFloat("high_freq_factor");
                var original = inner.PositiveInt("original_max_position_embeddings");
                if (low is { } l && high is { } h && h <= l)
                {
                    r.Problems.Add($"rope_scaling.high_freq_factor: {h} must be greater than low_freq_factor ({l})");
                }

                return factor is null || low is null || high is null || original is null
                    ? null
                    : new RopeScaling("llama3", factor.Value, low.Value, high.Value, original.Value);
            default:
                return r.Fail<RopeScaling>($"rope_scaling: type \"{type}\" is not supported (only llama3)");
        }
    }

    /// <summary>Typed reads of one JSON object; each failure adds a problem naming the key.</summary>
    private sealed class ConfigReader(JsonElement root, string prefix = "", List<string>? problems = null)
    {
        public JsonElement Root { get; } = root;

        public List<string> Problems { get; } = problems ?? [];

        public T? Fail<T>(string problem)
        {
            Problems.Add(problem);
            return default;
        }

        public int? PositiveInt(string key, bool optional = false)
        {
            if (!TryGet(key, optional, out var e))
            {
                return null;
            }

            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out var value))
            {
                return Fail<int?>($"{prefix}{key}: expected an integer, got {Describe(e)}");
            }

            return value > 0 ? value : Fail<int?>($"{prefix}{key}: must be positive, got {value}");
        }

        public int? OptionalInt(string key) =>
            TryGet(key, optional: true, out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v) ? v : null;

        public float? PositiveFloat(string key, bool optional = false)
        {
            if (!TryGet(key, optional, out var e))
            {
                return null;
            }

            if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out var value))
            {
                return Fail<float?>($"{prefix}{key}: expected a number, got {Describe(e)}");
            }

            return value > 0 && double.IsFinite(value) ? (float)value : Fail<float?>($"{prefix}{key}: must be positive, got {value}");
        }

        public bool? Bool(string key)
        {
            if (!TryGet(key, optional: true, out var e))
            {
                return null;
            }

            return e.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => Fail<bool?>($"{prefix}{key}: expected true or false, got {Describe(e)}"),
            };
        }

        public string? String(string key)
        {
            if (!TryGet(key, optional: true, out var e))
            {
                return null;
            }

            return e.ValueKind == JsonValueKind.String ? e.GetString() : Fail<string>($"{prefix}{key}: expected a string, got {Describe(e)}");
        }

        public int? TokenId(string key)
        {
            if (!TryGet(key, optional: true, out var e))
            {
                return null;
            }

            return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var id) && id >= 0
                ? id
                : Fail<int?>($"{prefix}{key}: expected a non-negative integer, got {Describe(e)}");
        }

        public IReadOnlyList<int> TokenIds(string key)
        {
            if (!TryGet(key, optional: true, out var e))
            {
                return [];
            }

            if (e.ValueKind == JsonValueKind.Array)
            {
                var ids = new List<int>();
                foreach (var item in e.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var id) && id >= 0)
                    {
                        ids.Add(id);
                    }
                    else
                    {
                        return Fail<int[]>($"{prefix}{key}: expected non-negative integers, got {Describe(item)} in the list") ?? [];
                    }
                }

                return ids;
            }

            return TokenId(key) is { } single ? [single] : [];
        }

        private bool TryGet(string key, bool optional, out JsonElement element)
        {
            if (Root.TryGetProperty(key, out element) && element.ValueKind != JsonValueKind.Null)
            {
                return true;
            }

            if (!optional)
            {
                Problems.Add($"{prefix}{key}: missing");
            }

            return false;
        }

        private static string Describe(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.String => $"the string \"{e.GetString()}\"",
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "a list",
            _ => e.GetRawText(),
        };
    }
}
