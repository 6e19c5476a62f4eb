using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Gguf;

/// <summary>Builds a <see cref="ModelConfig"/> from a GGUF file's <c>llama.*</c> and <c>tokenizer.ggml.*</c> metadata.</summary>
public static class GgufModelConfig
{
    public static ModelConfig Read(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var m = file.Metadata;
        var problems = new List<string>();
        var architecture = m.GetString("general.architecture");
        if (architecture != "llama")
        {
            throw new ModelLoadException(file.Path, [$"general.architecture is '{architecture ?? "(missing)"}'; only 'llama' is supported"]);
        }

        int Required(string key)
        {
            var value = m.GetInteger("llama." + key);
            if (value is null or <= 0 or > int.MaxValue)
            {
                problems.Add($"metadata 'llama.{key}' is {(value is null ? "missing" : value.ToString())}, expected a positive integer");
                return 1;
            }

            return (int)value;
        }

        var hidden = Required("embedding_length");
        var layers = Required("block_count");
        var ffn = Required("feed_forward_length");
        var heads = Required("attention.head_count");
        var kvHeads = m.Contains("llama.attention.head_count_kv") ? Required("attention.head_count_kv") : heads;
        var contextLength = Required("context_length");
        var headDim = m.Contains("llama.attention.key_length") ? Required("attention.key_length") : hidden / heads;
        var eps = m.GetFloat("llama.attention.layer_norm_rms_epsilon");
        if (eps is null)
        {
            problems.Add("metadata 'llama.attention.layer_norm_rms_epsilon' is missing");
        }

        if (m.GetInteger("llama.rope.dimension_count") is { } ropeDims && ropeDims != headDim)
        {
            problems.Add($"llama.rope.dimension_count {ropeDims} differs from the head size {headDim}; partial rotary embeddings are not supported");
        }

        if (m.GetString("llama.rope.scaling.type") is { } scaling && scaling != "none")
        {
            problems.Add($"llama.rope.scaling.type '{scaling}' is not supported");
        }

        if (file.Tensors.ContainsKey("rope_freqs.weight"))
        {
            problems.Add("tensor 'rope_freqs.weight' (llama3 rope scaling) is not supported");
        }

        if (heads % kvHeads != 0)
        {
            problems.Add($"llama.attention.head_count {heads} is not a multiple of head_count_kv {kvHeads}");
        }

        var vocab = VocabSize(file, problems);
        if (problems.Count > 0)
        {
            throw new ModelLoadException(file.Path, problems);
        }

        var eos = m.GetInteger("tokenizer.ggml.eos_token_id");
        return new ModelConfig
        {
            Architecture = "LlamaForCausalLM",
            HiddenSize = hidden,
            NumLayers = layers,
            NumHeads = heads,
            NumKvHeads = kvHeads,
            HeadDim = headDim,
            IntermediateSize = ffn,
            VocabSize = vocab,
            RmsNormEps = (float)eps!.Value,
            RopeTheta = (float)(m.GetFloat("llama.rope.freq_base") ?? 10000.0),
            TieWordEmbeddings = !file.Tensors.ContainsKey("output.weight"),
            MaxPositionEmbeddings = contextLength,
            BosTokenId = (int?)m.GetInteger("tokenizer.ggml.bos_token_id"),
            EosTokenIds = eos is { } e ? [(int)e] : [],
            TorchDtype = DType.F32,
        };
    }

    /// <summary><c>llama.vocab_size</c>, else the length of <c>tokenizer.ggml.tokens</c>, else the embedding's row count.</summary>
    private static int VocabSize(GgufFile file, List<string> problems)
    {
        if (file.Metadata.GetInteger("llama.vocab_size") is { } size and > 0 and <= int.MaxValue)
        {
            return (int)size;
        }

        if (file.Metadata.GetArray<string>("tokenizer.ggml.tokens") is { Length: > 0 } tokens)
        {
            return tokens.Length;
        }

        if (file.Tensors.TryGetValue("token_embd.weight", out var embedding) && embedding.Dimensions.Count == 2)
        {
            return (int)embedding.Dimensions[1];
        }

        problems.Add("no vocabulary size: neither llama.vocab_size, tokenizer.ggml.tokens nor token_embd.weight");
        return 1;
    }
}
