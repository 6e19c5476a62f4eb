namespace Tandem.Engine.KvCache;

/// <summary>
/// The shape of a KV cache block. Two caches can exchange blocks only when their layouts are equal;
/// the model fingerprint guards against pairing caches of different weights that happen to share a shape.
/// <see cref="DType"/> is the element type K and V are stored in (<see cref="KvCacheDType"/>'s names);
/// a layout decoded from a peer may name one this build does not know, and then it equals no layout here.
/// </summary>
public sealed record KvCacheLayout(
    string ModelFingerprint,
    int Layers,
    int KvHeads,
    int HeadDim,
    int TokensPerBlock,
    string DType = KvCacheDTypes.Float32Name)
{
    /// <summary>Elements of K (or of V) for one token in one layer.</summary>
    public int TokenStride => KvHeads * HeadDim;

    /// <summary>Elements of one layer's K (or V) in one block.</summary>
    public int LayerHalfStride => TokensPerBlock * TokenStride;

    /// <summary>Elements of one block: every layer's K then V.</summary>
    public long BlockElements => (long)Layers * 2 * LayerHalfStride;

    /// <summary>The element type, from its canonical name; throws for a name this build does not know (a peer's layout, before it is compared).</summary>
    public KvCacheDType ElementType => DType switch
    {
        KvCacheDTypes.Float32Name => KvCacheDType.Float32,
        KvCacheDTypes.BFloat16Name => KvCacheDType.BFloat16,
        _ => throw new InvalidOperationException($"unknown KV cache dtype '{DType}'"),
    };

    /// <summary>Bytes of one element: 4 (float32) or 2 (bfloat16).</summary>
    public int ElementBytes => KvCacheDTypes.Bytes(ElementType);

    public long BlockBytes => BlockElements * ElementBytes;

    /// <summary>Bytes of KV for one token across all layers (K and V).</summary>
    public long BytesPerToken => (long)Layers * 2 * TokenStride * ElementBytes;

    public int BlocksFor(int tokens) => (tokens + TokensPerBlock - 1) / TokensPerBlock;

    public override string ToString() =>
        $"model {ModelFingerprint}, {Layers} layers, {KvHeads} KV heads, head size {HeadDim}, {DType}, {TokensPerBlock} tokens per block";
}
