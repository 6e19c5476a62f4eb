using System.Globalization;
using System.Text.Json;
using Tandem.Engine.Numerics;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Models;

/// <summary>
/// Writes a deterministic random-weight Llama checkpoint in Hugging Face layout (config.json,
/// generation_config.json, model.safetensors, tokenizer files). The same options give
/// byte-identical files: every 1 Mi-element chunk of every tensor has its own generator seeded
/// from (seed, tensor, chunk), so chunks are generated in parallel and written in order with
/// bounded memory.
/// <para>Scales keep activations sane through many layers: matrices are uniform in
/// ±sqrt(3 / in_features) (unit variance out for unit variance in), embeddings uniform in ±1,
/// norm weights uniform in 1 ± 0.1.</para>
/// </summary>
public static class RandomCheckpoint
{
    public static readonly IReadOnlyList<string> TokenizerFiles =
        ["tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"];

    private const int ChunkElements = 1 << 20;

    /// <summary>Resolves the preset and overrides into a validated config (the one <see cref="Write"/> writes).</summary>
    public static ModelConfig Resolve(RandomCheckpointOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var preset = RandomCheckpointPresets.Find(options.Preset)
            ?? throw new ArgumentException($"unknown preset '{options.Preset}' (known: {string.Join(", ", RandomCheckpointPresets.Names)})", nameof(options));
        var hidden = options.Hidden ?? preset.HiddenSize;
        var heads = options.Heads ?? preset.NumHeads;
        var headDim = options.HeadDim ?? (options.Hidden is null && options.Heads is null ? preset.HeadDim : hidden / Math.Max(heads, 1));
        var config = preset with
        {
            HiddenSize = hidden,
            NumLayers = options.Layers ?? preset.NumLayers,
            NumHeads = heads,
            NumKvHeads = options.KvHeads ?? preset.NumKvHeads,
            HeadDim = headDim,
            IntermediateSize = options.Intermediate ?? preset.IntermediateSize,
            VocabSize = options.Vocab ?? preset.VocabSize,
            TorchDtype = options.DType ?? preset.TorchDtype,
            TieWordEmbeddings = options.TieWordEmbeddings ?? preset.TieWordEmbeddings,
        };

        if (options.TokenizerDirectory is { } tokenizer)
        {
            config = FollowTokenizer(config, tokenizer, options.Vocab);
        }

        // Round-trip through the loader so a bad override is reported exactly as a bad config.json would be.
        return ModelConfigLoader.Parse(ConfigJson(config), $"random checkpoint '{options.Preset}' config");
    }

    public static ModelConfig Write(RandomCheckpointOptions options, string outDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = Resolve(options);
        Directory.CreateDirectory(outDirectory);
        File.WriteAllBytes(Path.Combine(outDirectory, ModelConfigLoader.FileName), ConfigJson(config));
        File.WriteAllBytes(Path.Combine(outDirectory, "generation_config.json"), GenerationConfigJson(config));
        if (options.TokenizerDirectory is { } tokenizer)
        {
            foreach (var name in TokenizerFiles)
            {
                var source = Path.Combine(tokenizer, name);
                if (File.Exists(source))
                {
                    // Copy the content, not the mode: the source may be read-only (a shared model folder),
                    // and a read-only copy would make writing this directory again fail.
                    File.WriteAllBytes(Path.Combine(outDirectory, name), File.ReadAllBytes(source));
                }
            }
        }

        WriteWeights(config, options.Seed, Path.Combine(outDirectory, SafetensorsCheckpoint.SingleFileName));
        return config;
    }

    private static void WriteWeights(ModelConfig c, ulong seed, string path)
    {
        var tensors = Tensors(c);
        using var writer = new SafetensorsWriter(path, tensors.Select(t => t.Layout).ToArray(), new Dictionary<string, string> { ["format"] = "pt" });
        var batch = Math.Max(2, Environment.ProcessorCount);
        var floats = new float[batch][];
        var bytes = new byte[batch][];
        for (var t = 0; t < tensors.Count; t++)
        {
            var (layout, center, scale) = tensors[t];
            var elements = layout.ByteCount / layout.DType.ByteSize();
            var chunks = (elements + ChunkElements - 1) / ChunkElements;
            for (long first = 0; first < chunks; first += batch)
            {
                var count = (int)Math.Min(batch, chunks - first);
                Parallel.For(0, count, slot =>
                {
                    var chunk = first + slot;
                    var length = (int)Math.Min(ChunkElements, elements - (chunk * ChunkElements));
                    var values = (floats[slot] ??= new float[ChunkElements]).AsSpan(0, length);
                    var state = seed ^ ((ulong)t << 40) ^ (ulong)chunk;
                    var rng = new Xoshiro256StarStar(Xoshiro256StarStar.SplitMix64(ref state));
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] = center + (scale * rng.NextSignedUnit());
                    }

                    var output = (bytes[slot] ??= new byte[ChunkElements * sizeof(float)]).AsSpan(0, length * layout.DType.ByteSize());
                    ElementConversion.Narrow(values, layout.DType, output);
                });

                for (var slot = 0; slot < count; slot++)
                {
                    var length = (int)Math.Min(ChunkElements, elements - ((first + slot) * ChunkElements));
                    writer.Write(bytes[slot].AsSpan(0, length * layout.DType.ByteSize()));
                }
            }
        }

        writer.Complete();
    }

    private static List<(SafetensorsTensorLayout Layout, float Center, float Scale)> Tensors(ModelConfig c)
    {
        var dtype = c.TorchDtype;
        int hidden = c.HiddenSize, qDim = c.NumHeads * c.HeadDim, kvDim = c.NumKvHeads * c.HeadDim, ffn = c.IntermediateSize;
        var list = new List<(SafetensorsTensorLayout, float, float)>();
        void Matrix(string name, int rows, int cols) =>
            list.Add((new SafetensorsTensorLayout(name, dtype, [rows, cols]), 0f, MathF.Sqrt(3f / cols)));
        void Norm(string name) => list.Add((new SafetensorsTensorLayout(name, dtype, [hidden]), 1f, 0.1f));

        list.Add((new SafetensorsTensorLayout("model.embed_tokens.weight", dtype, [c.VocabSize, hidden]), 0f, 1f));
        for (var i = 0; i < c.NumLayers; i++)
        {
            var p = $"model.layers.{i}.";
            Norm(p + "input_layernorm.weight");
            Matrix(p + "self_attn.q_proj.weight", qDim, hidden);
            Matrix(p + "self_attn.k_proj.weight", kvDim, hidden);
            Matrix(p + "self_attn.v_proj.weight", kvDim, hidden);
            Matrix(p + "self_attn.o_proj.weight", hidden, qDim);
            Norm(p + "post_attention_layernorm.weight");
            Matrix(p + "mlp.gate_proj.weight", ffn, hidden);
            Matrix(p + "mlp.up_proj.weight", ffn, hidden);
            Matrix(p + "mlp.down_proj.weight", hidden, ffn);
        }

        Norm("model.norm.weight");
        if (!c.TieWordEmbeddings)
        {
            Matrix("lm_head.weight", c.VocabSize, hidden);
        }

        return list;
    }

    private static ModelConfig FollowTokenizer(ModelConfig config, string directory, int? explicitVocab)
    {
        var (vocab, bos, eos) = TokenizerFacts(directory);
        if (explicitVocab is { } v && v < vocab)
        {
            throw new ArgumentException($"vocab {v} is smaller than the tokenizer's vocabulary ({vocab}) in {directory}");
        }

        return config with
        {
            VocabSize = explicitVocab ?? vocab,
            BosTokenId = bos ?? config.BosTokenId,
            EosTokenIds = eos is { } e ? [e] : config.EosTokenIds,
        };
    }

    /// <summary>Vocabulary size from config.json's vocab_size, else tokenizer.json's highest id + 1.</summary>
    private static (int Vocab, int? Bos, int? Eos) TokenizerFacts(string directory)
    {
        int? vocab = null, bos = null, eos = null;
        var configPath = Path.Combine(directory, ModelConfigLoader.FileName);
        if (File.Exists(configPath))
        {
            using var config = JsonDocument.Parse(File.ReadAllBytes(configPath));
            vocab = Int(config.RootElement, "vocab_size");
            bos = Int(config.RootElement, "bos_token_id");
            eos = Int(config.RootElement, "eos_token_id");
        }

        var tokenizerPath = Path.Combine(directory, "tokenizer.json");
        if (vocab is null && File.Exists(tokenizerPath))
        {
            using var tokenizer = JsonDocument.Parse(File.ReadAllBytes(tokenizerPath));
            var maxId = -1;
            if (tokenizer.RootElement.TryGetProperty("model", out var model) && model.TryGetProperty("vocab", out var entries))
            {
                maxId = entries.ValueKind switch
                {
                    JsonValueKind.Object => entries.EnumerateObject().Select(e => e.Value.TryGetInt32(out var id) ? id : -1).DefaultIfEmpty(-1).Max(),
                    JsonValueKind.Array => entries.GetArrayLength() - 1,
                    _ => -1,
                };
            }

            if (tokenizer.RootElement.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            {
                foreach (var token in added.EnumerateArray())
                {
                    maxId = Math.Max(maxId, Int(token, "id") ?? -1);
                }
            }

            vocab = maxId >= 0 ? maxId + 1 : null;
        }

        return (vocab ?? throw new ArgumentException($"cannot tell the vocabulary size of the tokenizer in {directory}: no config.json vocab_size and no tokenizer.json vocab"), bos, eos);
    }

    private static int? Int(JsonElement element, string key) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    private static byte[] ConfigJson(ModelConfig c) => Json(w =>
    {
        w.WriteStartArray("architectures");
        w.WriteStringValue(c.Architecture);
        w.WriteEndArray();
        w.WriteString("model_type", c.Architecture == "MistralForCausalLM" ? "mistral" : "llama");
        w.WriteBoolean("attention_bias", false);
        w.WriteBoolean("mlp_bias", false);
        WriteTokenIds(w, c);
        w.WriteString("hidden_act", "silu");
        w.WriteNumber("hidden_size", c.HiddenSize);
        w.WriteNumber("head_dim", c.HeadDim);
        w.WriteNumber("initializer_range", 0.02);
        w.WriteNumber("intermediate_size", c.IntermediateSize);
        w.WriteNumber("max_position_embeddings", c.MaxPositionEmbeddings);
        w.WriteNumber("num_attention_heads", c.NumHeads);
        w.WriteNumber("num_hidden_layers", c.NumLayers);
        w.WriteNumber("num_key_value_heads", c.NumKvHeads);
        w.WriteNumber("rms_norm_eps", Shortest(c.RmsNormEps));
        w.WriteNull("rope_scaling");
        w.WriteNumber("rope_theta", Shortest(c.RopeTheta));
        w.WriteBoolean("tie_word_embeddings", c.TieWordEmbeddings);
        w.WriteString("torch_dtype", c.TorchDtype.Name());
        w.WriteBoolean("use_cache", true);
        w.WriteNumber("vocab_size", c.VocabSize);
    });

    private static byte[] GenerationConfigJson(ModelConfig c) => Json(w => WriteTokenIds(w, c));

    private static void WriteTokenIds(Utf8JsonWriter w, ModelConfig c)
    {
        if (c.BosTokenId is { } bos)
        {
            w.WriteNumber("bos_token_id", bos);
        }

        if (c.EosTokenIds.Count == 1)
        {
            w.WriteNumber("eos_token_id", c.EosTokenIds[0]);
        }
        else if (c.EosTokenIds.Count > 1)
        {
            w.WriteStartArray("eos_token_id");
            foreach (var id in c.EosTokenIds)
            {
                w.WriteNumberValue(id);
            }

            w.WriteEndArray();
        }
    }

    /// <summary>The float's shortest decimal form as a double, so 1e-5f is written 1E-05, not 9.99999974737875E-06.</summary>
    private static double Shortest(float value) => double.Parse(value.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.ToArray();
    }
}
