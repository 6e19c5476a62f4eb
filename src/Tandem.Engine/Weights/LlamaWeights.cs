namespace Tandem.Engine.Weights;

/// <summary>
/// The tensors of a Llama-architecture model, shapes checked against its <see cref="Models.ModelConfig"/>.
/// Matrices stay in their stored dtype (usually memory-mapped); norm weights are widened to fp32.
/// Disposing releases the memory the matrices point into.
/// </summary>
public sealed class LlamaWeights : IDisposable
{
    private readonly IDisposable? _owner;

    public LlamaWeights(WeightMatrix embedding, LayerWeights[] layers, float[] finalNorm, WeightMatrix lmHead, IDisposable? owner)
    {
        Embedding = embedding;
        Layers = layers;
        FinalNorm = finalNorm;
        LmHead = lmHead;
        _owner = owner;
    }

    /// <summary>[vocab, hidden]</summary>
    public WeightMatrix Embedding { get; }

    public IReadOnlyList<LayerWeights> Layers { get; }

    /// <summary>[hidden]</summary>
    public float[] FinalNorm { get; }

    /// <summary>[vocab, hidden]; the embedding itself when embeddings are tied.</summary>
    public WeightMatrix LmHead { get; }

    /// <summary>Bytes of matrix weights read by one decode step (every matrix once; the embedding row is negligible).</summary>
    public long MatrixBytesPerStep => Matrices().Sum(m => m.ByteCount);

    /// <summary>The types the matrices a step reads are stored in, most bytes first, e.g. "q8_0" or "q4_0+float32".</summary>
    public string MatrixTypes => string.Join("+", Matrices().GroupBy(m => m.DType).OrderByDescending(g => g.Sum(m => m.ByteCount)).Select(g => g.Key.Name()));

    public void Dispose() => _owner?.Dispose();

    /// <summary>
    /// These weights with every matrix a step multiplies by (q, k, v, o, gate, up, down, lm_head)
    /// replaced by <paramref name="map"/>(matrix, name), norms kept, the embedding kept unless tied to
    /// lm_head (then it is the mapped lm_head), and the memory owned by <paramref name="owner"/>.
    /// </summary>
    internal unsafe LlamaWeights WithMatrices(Func<WeightMatrix, string, WeightMatrix> map, IDisposable owner)
    {
        var layers = Layers.Select(l => new LayerWeights
        {
            AttentionNorm = l.AttentionNorm,
            Q = map(l.Q, "q"),
            K = map(l.K, "k"),
            V = map(l.V, "v"),
            O = map(l.O, "o"),
            MlpNorm = l.MlpNorm,
            Gate = map(l.Gate, "gate"),
            Up = map(l.Up, "up"),
            Down = map(l.Down, "down"),
        }).ToArray();
        var lmHead = map(LmHead, "lm_head");
        var embedding = LmHead.Data == Embedding.Data ? lmHead : Embedding;
        return new LlamaWeights(embedding, layers, FinalNorm, lmHead, owner);
    }

    /// <summary>The matrices a step multiplies by: lm_head, then each layer's q, k, v, o, gate, up, down.</summary>
    internal IEnumerable<WeightMatrix> Matrices()
    {
        yield return LmHead;
        foreach (var l in Layers)
        {
            foreach (var m in (WeightMatrix[])[l.Q, l.K, l.V, l.O, l.Gate, l.Up, l.Down])
            {
                yield return m;
            }
        }
    }

}

/// <summary>One decoder layer. Shapes are [out, in] as in Hugging Face checkpoints.</summary>
public sealed class LayerWeights
{
    /// <summary>[hidden]</summary>
    public required float[] AttentionNorm { get; init; }

    /// <summary>[heads * head_dim, hidden]</summary>
    public required WeightMatrix Q { get; init; }

    /// <summary>[kv_heads * head_dim, hidden]</summary>
    public required WeightMatrix K { get; init; }

    /// <summary>[kv_heads * head_dim, hidden]</summary>
    public required WeightMatrix V { get; init; }

    /// <summary>[hidden, heads * head_dim]</summary>
    public required WeightMatrix O { get; init; }

    /// <summary>[hidden]</summary>
    public required float[] MlpNorm { get; init; }

    /// <summary>[intermediate, hidden]</summary>
    public required WeightMatrix Gate { get; init; }

    /// <summary>[intermediate, hidden]</summary>
    public required WeightMatrix Up { get; init; }

    /// <summary>[hidden, intermediate]</summary>
    public required WeightMatrix Down { get; init; }
}
