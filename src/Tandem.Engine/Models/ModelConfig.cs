using Tandem.Engine.Weights;

namespace Tandem.Engine.Models;

/// <summary>
/// The architecture of a Llama-family model, as read from a Hugging Face <c>config.json</c>
/// (<c>LlamaForCausalLM</c>, or <c>MistralForCausalLM</c> without sliding window).
/// </summary>
public sealed record ModelConfig
{
    public required string Architecture { get; init; }

    public required int HiddenSize { get; init; }

    public required int NumLayers { get; init; }

    public required int NumHeads { get; init; }

    public required int NumKvHeads { get; init; }

    /// <summary><c>head_dim</c>, or hidden_size / num_attention_heads when absent.</summary>
    public required int HeadDim { get; init; }

    public required int IntermediateSize { get; init; }

    public required int VocabSize { get; init; }

    public required float RmsNormEps { get; init; }

    public required float RopeTheta { get; init; }

    /// <summary>Null when the model uses plain RoPE.</summary>
    public RopeScaling? RopeScaling { get; init; }

    public required bool TieWordEmbeddings { get; init; }

    public required int MaxPositionEmbeddings { get; init; }

    public int? BosTokenId { get; init; }

    /// <summary>End-of-sequence ids (config.json allows a single id or a list).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary><c>torch_dtype</c>; F32 when absent.</summary>
    public DType TorchDtype { get; init; } = DType.F32;
}

/// <summary><c>rope_scaling</c> of type <c>llama3</c>.</summary>
public sealed record RopeScaling(
    string Type,
    float Factor,
    float LowFreqFactor,
    float HighFreqFactor,
    int OriginalMaxPositionEmbeddings);
