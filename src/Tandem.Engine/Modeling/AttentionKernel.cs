using System.Numerics.Tensors;
using Tandem.Engine.Kernels;
using Tandem.Engine.KvCache;
using Tandem.Engine.Models;

namespace Tandem.Engine.Modeling;

/// <summary>
/// Causal grouped-query attention over the paged cache. Each (token, query head) pair is one unit of
/// work: scores against every cached position 0..p of its sequence, softmax, weighted sum of V.
/// Units are independent and each runs in one fixed order, so results do not depend on the batch
/// or on how units are split over threads.
/// </summary>
internal sealed unsafe class AttentionKernel
{
    [ThreadStatic]
    private static float[]? t_scores;

    private readonly ModelConfig _config;
    private readonly KernelThreads _threads;
    private readonly int _maxPositions;
    private readonly float _scale;
    private readonly Action<int, int> _body;

    private ForwardBatch? _batch;
    private PagedKvCache? _cache;
    private int _layer;
    private float[]? _q;
    private float[]? _output;

    public AttentionKernel(ModelConfig config, KernelThreads threads, int maxPositions)
    {
        _config = config;
        _threads = threads;
        _maxPositions = maxPositions;
        _scale = 1f / MathF.Sqrt(config.HeadDim);
        _body = RunRange;
    }

    /// <summary>output[i, h·D..] = attention of q[i, h·D..] over its sequence's cached positions 0..Positions[i].</summary>
    public void Run(ForwardBatch batch, PagedKvCache cache, int layer, float[] q, float[] output)
    {
        _batch = batch;
        _cache = cache;
        _layer = layer;
        _q = q;
        _output = output;
        _threads.For(batch.TokenCount * _config.NumHeads, 1, _body);
        _batch = null;
        _cache = null;
        _q = null;
        _output = null;
    }

    private void RunRange(int start, int end)
    {
        var scores = t_scores ??= new float[_maxPositions];
        if (scores.Length < _maxPositions)
        {
            scores = t_scores = new float[_maxPositions];
        }

        var c = _config;
        var d = c.HeadDim;
        var group = c.NumHeads / c.NumKvHeads;
        var tokensPerBlock = _cache!.Layout.TokensPerBlock;
        for (var unit = start; unit < end; unit++)
        {
            var token = unit / c.NumHeads;
            var head = unit % c.NumHeads;
            var kvOffset = head / group * d;
            var position = _batch!.Positions[token];
            var table = _batch.BlockTables[_batch.SequenceOf[token]];
            var query = new ReadOnlySpan<float>(_q, (token * c.NumHeads * d) + (head * d), d);

            for (var j = 0; j <= position; j++)
            {
                var key = new ReadOnlySpan<float>(_cache.Slot(table[j / tokensPerBlock], _layer, j % tokensPerBlock, value: false) + kvOffset, d);
                scores[j] = TensorPrimitives.Dot(query, key) * _scale;
            }

            var weights = scores.AsSpan(0, position + 1);
            TensorPrimitives.SoftMax(weights, weights);

            var output = new Span<float>(_output, (token * c.NumHeads * d) + (head * d), d);
            output.Clear();
            for (var j = 0; j <= position; j++)
            {
                var value = new ReadOnlySpan<float>(_cache.Slot(table[j / tokensPerBlock], _layer, j % tokensPerBlock, value: true) + kvOffset, d);
                TensorPrimitives.MultiplyAdd(value, weights[j], output, output);
            }
        }
    }
}
