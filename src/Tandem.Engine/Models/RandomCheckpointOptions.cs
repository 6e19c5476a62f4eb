using Tandem.Engine.Weights;

namespace Tandem.Engine.Models;

/// <summary>
/// What <see cref="RandomCheckpoint"/> writes: a preset shape with per-field overrides. Null
/// overrides keep the preset's value.
/// </summary>
public sealed record RandomCheckpointOptions
{
    /// <summary>A name from <see cref="RandomCheckpointPresets.Names"/>.</summary>
    public string Preset { get; init; } = RandomCheckpointPresets.Tiny;

    public int? Layers { get; init; }

    public int? Hidden { get; init; }

    public int? Heads { get; init; }

    public int? KvHeads { get; init; }

    /// <summary>When null and hidden or heads is overridden, hidden / heads.</summary>
    public int? HeadDim { get; init; }

    public int? Intermediate { get; init; }

    /// <summary>With <see cref="TokenizerDirectory"/>, at least the tokenizer's vocabulary size.</summary>
    public int? Vocab { get; init; }

    public DType? DType { get; init; }

    public bool? TieWordEmbeddings { get; init; }

    public ulong Seed { get; init; }

    /// <summary>A directory whose tokenizer files are copied; the vocabulary size and BOS/EOS follow it.</summary>
    public string? TokenizerDirectory { get; init; }
}

public static class RandomCheckpointPresets
{
    public const string Tiny = "tiny";
    public const string TinyLlama = "tinyllama-1.1b";

    public static IReadOnlyList<string> Names { get; } = [Tiny, TinyLlama];

    /// <summary>The preset's config, or null for an unknown name.</summary>
    public static ModelConfig? Find(string name) => name switch
    {
        // Grouped-query attention with sizes that are not powers of two, small enough for unit tests.
        Tiny => new ModelConfig
        {
            Architecture = "LlamaForCausalLM",
            HiddenSize = 120,
            NumLayers = 3,
            NumHeads = 6,
            NumKvHeads = 2,
            HeadDim = 20,
            IntermediateSize = 250,
            VocabSize = 512,
            RmsNormEps = 1e-5f,
            RopeTheta = 10000f,
            TieWordEmbeddings = false,
            MaxPositionEmbeddings = 1024,
            BosTokenId = 1,
            EosTokenIds = [2],
            TorchDtype = Weights.DType.F32,
        },
        TinyLlama => new ModelConfig
        {
            Architecture = "LlamaForCausalLM",
            HiddenSize = 2048,
            NumLayers = 22,
            NumHeads = 32,
            NumKvHeads = 4,
            HeadDim = 64,
            IntermediateSize = 5632,
            VocabSize = 32000,
            RmsNormEps = 1e-5f,
            RopeTheta = 10000f,
            TieWordEmbeddings = false,
            MaxPositionEmbeddings = 2048,
            BosTokenId = 1,
            EosTokenIds = [2],
            TorchDtype = Weights.DType.BF16,
        },
        _ => null,
    };
}
