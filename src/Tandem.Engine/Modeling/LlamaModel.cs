using System.Numerics.Tensors;
using Tandem.Engine.Kernels;
using Tandem.Engine.KvCache;
using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Modeling;

/// <summary>
/// The Llama forward pass over a batch of new tokens from many sequences, reading and writing the
/// paged KV cache. All activations are fp32 in preallocated buffers sized for
/// <see cref="MaxTokens"/> tokens per step; weights stay in their stored dtype.
///
/// Batch invariance (DESIGN.md rule 3): every kernel splits work over output rows or over
/// (token, head) pairs, never over a reduction, so a token's result does not depend on its batch.
/// </summary>
public sealed class LlamaModel
{
    private readonly LlamaWeights _weights;
    private readonly KernelThreads _threads;
    private readonly RotaryEmbedding _rope;
    private readonly AttentionKernel _attention;

    // [tokens × hidden]
    private readonly float[] _x;
    private readonly float[] _xn;
    private readonly float[] _projected;

    // [tokens × heads·headDim], [tokens × kvHeads·headDim]
    private readonly float[] _q;
    private readonly float[] _k;
    private readonly float[] _v;
    private readonly float[] _attn;

    // [tokens × intermediate]
    private readonly float[] _gate;
    private readonly float[] _up;

    // [sequences × hidden]
    private readonly float[] _final;

    /// <summary>SwiGLU over tokens [start, end) of _gate and _up: threads split the tokens (made once: no allocation per step).</summary>
    private readonly Action<int, int> _swiGluRows;

    public LlamaModel(ModelConfig config, LlamaWeights weights, KernelThreads threads, int maxTokens, int maxSequences, int maxPositions)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        Config = config;
        _weights = weights;
        _threads = threads;
        MaxTokens = maxTokens;
        MaxSequences = maxSequences;
        _rope = new RotaryEmbedding(config.HeadDim, maxPositions, config.RopeTheta, config.RopeScaling);
        var qWidth = config.NumHeads * config.HeadDim;
        var kvWidth = config.NumKvHeads * config.HeadDim;
        _x = new float[maxTokens * config.HiddenSize];
        _xn = new float[maxTokens * config.HiddenSize];
        _projected = new float[maxTokens * config.HiddenSize];
        _q = new float[maxTokens * qWidth];
        _k = new float[maxTokens * kvWidth];
        _v = new float[maxTokens * kvWidth];
        _attn = new float[maxTokens * qWidth];
        _gate = new float[maxTokens * config.IntermediateSize];
        _up = new float[maxTokens * config.IntermediateSize];
        _final = new float[maxSequences * config.HiddenSize];
        _attention = new AttentionKernel(config, threads, maxPositions);
        var inter = config.IntermediateSize;
        _swiGluRows = (start, end) => SwiGlu.Apply(_gate.AsSpan(start * inter, (end - start) * inter), _up.AsSpan(start * inter, (end - start) * inter));
    }

    public ModelConfig Config { get; }

    public int MaxTokens { get; }

    public int MaxSequences { get; }

    public int MaxPositions => _rope.MaxPositions;

    public LlamaWeights Weights => _weights;

    /// <summary>Runs one step; writes <c>batch.LogitCount × vocab</c> logits into <paramref name="logits"/>.</summary>
    public void Forward(ForwardBatch batch, PagedKvCache cache, Span<float> logits)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(cache);
        var n = batch.TokenCount;
        if (n == 0 || n > MaxTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), $"a step holds 1..{MaxTokens} tokens, not {n}");
        }

        var c = Config;
        var hidden = c.HiddenSize;
        var qWidth = c.NumHeads * c.HeadDim;
        var kvWidth = c.NumKvHeads * c.HeadDim;
        var inter = c.IntermediateSize;

        // x[n, hidden] = embedding rows
        for (var i = 0; i < n; i++)
        {
            WeightRows.ToFloat(_weights.Embedding, batch.Tokens[i], _x.AsSpan(i * hidden, hidden));
        }

        for (var layer = 0; layer < c.NumLayers; layer++)
        {
            var w = _weights.Layers[layer];

            // attention block: x += Wo · attention(rope(Wq·xn), rope(Wk·xn), Wv·xn)
            RmsNormRows(_x, w.AttentionNorm, _xn, n);
            MatMul.Compute(w.Q, _xn.AsSpan(0, n * hidden), n, _q.AsSpan(0, n * qWidth), _threads);
            MatMul.Compute(w.K, _xn.AsSpan(0, n * hidden), n, _k.AsSpan(0, n * kvWidth), _threads, xUnchanged: true);
            MatMul.Compute(w.V, _xn.AsSpan(0, n * hidden), n, _v.AsSpan(0, n * kvWidth), _threads, xUnchanged: true);
            for (var i = 0; i < n; i++)
            {
                var position = batch.Positions[i];
                _rope.Apply(_q.AsSpan(i * qWidth, qWidth), c.NumHeads, position);
                _rope.Apply(_k.AsSpan(i * kvWidth, kvWidth), c.NumKvHeads, position);
                var table = batch.BlockTables[batch.SequenceOf[i]];
                cache.Write(table, layer, position, value: false, _k.AsSpan(i * kvWidth, kvWidth));
                cache.Write(table, layer, position, value: true, _v.AsSpan(i * kvWidth, kvWidth));
            }

            _attention.Run(batch, cache, layer, _q, _attn);
            MatMul.Compute(w.O, _attn.AsSpan(0, n * qWidth), n, _projected.AsSpan(0, n * hidden), _threads);
            TensorPrimitives.Add(_x.AsSpan(0, n * hidden), _projected.AsSpan(0, n * hidden), _x.AsSpan(0, n * hidden));

            // MLP block: x += Wdown · (silu(Wgate·xn) ⊙ Wup·xn)
            RmsNormRows(_x, w.MlpNorm, _xn, n);
            MatMul.Compute(w.Gate, _xn.AsSpan(0, n * hidden), n, _gate.AsSpan(0, n * inter), _threads);
            MatMul.Compute(w.Up, _xn.AsSpan(0, n * hidden), n, _up.AsSpan(0, n * inter), _threads, xUnchanged: true);
            _threads.For(n, 1, _swiGluRows);
            MatMul.Compute(w.Down, _gate.AsSpan(0, n * inter), n, _projected.AsSpan(0, n * hidden), _threads);
            TensorPrimitives.Add(_x.AsSpan(0, n * hidden), _projected.AsSpan(0, n * hidden), _x.AsSpan(0, n * hidden));
        }

        // final norm and logits, only for the tokens that are sampled
        var m = batch.LogitCount;
        for (var s = 0; s < m; s++)
        {
            var row = batch.LogitTokens[s];
            RmsNorm(_x.AsSpan(row * hidden, hidden), _weights.FinalNorm, _final.AsSpan(s * hidden, hidden), c.RmsNormEps);
        }

        if (m > 0)
        {
            MatMul.Compute(_weights.LmHead, _final.AsSpan(0, m * hidden), m, logits[..(m * c.VocabSize)], _threads);
        }
    }

    private void RmsNormRows(float[] input, float[] weight, float[] output, int n)
    {
        var hidden = Config.HiddenSize;
        for (var i = 0; i < n; i++)
        {
            RmsNorm(input.AsSpan(i * hidden, hidden), weight, output.AsSpan(i * hidden, hidden), Config.RmsNormEps);
        }
    }

    /// <summary>y = x / sqrt(mean(x²) + eps) ⊙ weight</summary>
    private static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, float eps)
    {
        var sumOfSquares = TensorPrimitives.SumOfSquares(x);
        var scale = 1f / MathF.Sqrt((sumOfSquares / x.Length) + eps);
        TensorPrimitives.Multiply(x, scale, y);
        TensorPrimitives.Multiply(y, weight, y);
    }
}
