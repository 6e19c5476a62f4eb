namespace Tandem.Engine.KvCache;

/// <summary>
/// The shape of a KV cache block. Two caches can exchange blocks only when their layouts are equal;
/// the model fingerprint guards against pairing caches of different weights that happen to share a shape.
/// </summary>
public sealed record KvCacheLayout(
    string ModelFingerprint,
    int Layers,
    int KvHeads,
    int HeadDim,
    int TokensPerBlock,
    string DType = "float32")
{
    /// <summary>Floats of K (or of V) for one token in one layer.</summary>
    public int TokenStride => KvHeads * HeadDim;

    /// <summary>Floats of one layer's K (or V) in one block.</summary>
    public int LayerHalfStride => TokensPerBlock * TokenStride;

    /// <summary>Floats of one block: every layer's K then V.</summary>
    public long BlockFloats => (long)Layers * 2 * LayerHalfStride;

    public long BlockBytes => BlockFloats * sizeof(float);

    /// <summary>Bytes of KV for one token across all layers (K and V).</summary>
    public long BytesPerToken => (long)Layers * 2 * TokenStride * sizeof(float);

    public int BlocksFor(int tokens) => (tokens + TokensPerBlock - 1) / TokensPerBlock;

    public override string ToString() =>
        $"model {ModelFingerprint}, {Layers} layers, {KvHeads} KV heads, head size {HeadDim}, {DType}, {TokensPerBlock} tokens per block";
}
