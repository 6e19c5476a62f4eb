using System.Numerics.Tensors;
using Tandem.Engine.Kernels;
using Tandem.Engine.KvCache;
using Tandem.Engine.Models;

namespace Tandem.Engine.Modeling;

/// <summary>
/// Causal grouped-query attention over the paged cache. A unit of work is up to four query heads of
/// one token that share a KV head: their scores against every cached position 0..p of the sequence,
/// a softmax per query, then the weighted sum of V per query. Each key and V row is loaded once per
/// unit and used by all its queries; each query still runs the one canonical order of
/// <see cref="AttentionTiles"/>, so results do not depend on the batch, the chunking, the thread
/// count, or which tile computed them.
/// </summary>
internal sealed unsafe class AttentionKernel
{
    /// <summary>Query heads per unit: the query side of the tiles.</summary>
    private const int QueryTile = 4;

    [ThreadStatic]
    private static Scratch? t_scratch;

    private readonly ModelConfig _config;
    private readonly KernelThreads _threads;
    private readonly int _maxPositions;
    private readonly float _scale;
    private readonly int _tilesPerKvHead;
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
        _tilesPerKvHead = (config.NumHeads / config.NumKvHeads + QueryTile - 1) / QueryTile;
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
        _threads.For(batch.TokenCount * _config.NumKvHeads * _tilesPerKvHead, 1, _body);
        _batch = null;
        _cache = null;
        _q = null;
        _output = null;
    }

    private void RunRange(int start, int end)
    {
        var d = _config.HeadDim;
        var scratch = t_scratch;
        if (scratch == null || scratch.Positions < _maxPositions || scratch.HeadDim < d)
        {
            scratch = t_scratch = new Scratch(Math.Max(_maxPositions, scratch?.Positions ?? 0), Math.Max(d, scratch?.HeadDim ?? 0));
        }

        fixed (float* scores = scratch.Scores, queries = scratch.Queries, discard = scratch.Discard, q = _q, output = _output)
        fixed (nint* rows = scratch.Rows)
        {
            for (var unit = start; unit < end; unit++)
            {
                if (_cache!.IsBFloat16)
                {
                    RunUnit<BFloat16Rows>(unit, scratch, scores, queries, discard, (byte**)rows, q, output);
                }
                else
                {
                    RunUnit<Float32Rows>(unit, scratch, scores, queries, discard, (byte**)rows, q, output);
                }
            }
        }
    }

    private void RunUnit<TKv>(int unit, Scratch scratch, float* scores, float* queries, float* discard, byte** rows, float* q, float* output)
        where TKv : IKvRows
    {
        var c = _config;
        var d = c.HeadDim;
        var group = c.NumHeads / c.NumKvHeads;
        var tile = unit % _tilesPerKvHead;
        var kvHead = unit / _tilesPerKvHead % c.NumKvHeads;
        var token = unit / _tilesPerKvHead / c.NumKvHeads;
        var firstHead = (kvHead * group) + (tile * QueryTile);
        var count = Math.Min(QueryTile, ((kvHead + 1) * group) - firstHead);
        var n = _batch!.Positions[token] + 1;
        var dp = scratch.PaddedHeadDim;
        var sStride = scratch.ScoreStride;

        // Key and V rows of positions 0..n-1: one block address per block, then TokenStride elements' steps.
        var layout = _cache!.Layout;
        var headBytes = kvHead * d * layout.ElementBytes;
        var tokenBytes = layout.TokenStride * layout.ElementBytes;
        var table = _batch.BlockTables[_batch.SequenceOf[token]];
        var keys = rows;
        var values = rows + scratch.Positions;
        for (int block = 0, j = 0; j < n; block++)
        {
            var k = _cache.Slot(table[block], _layer, 0, value: false) + headBytes;
            var v = _cache.Slot(table[block], _layer, 0, value: true) + headBytes;
            for (var end = Math.Min(n, j + layout.TokensPerBlock); j < end; j++, k += tokenBytes, v += tokenBytes)
            {
                keys[j] = k;
                values[j] = v;
            }
        }

        // Queries, zero-padded to whole chunks; the tile's missing queries are zero and their results discarded.
        var outputs = stackalloc float*[QueryTile];
        for (var i = 0; i < QueryTile; i++)
        {
            var row = new Span<float>(queries + (i * dp), dp);
            row.Clear();
            if (i < count)
            {
                new ReadOnlySpan<float>(q + ((((long)token * c.NumHeads) + firstHead + i) * d), d).CopyTo(row);
                outputs[i] = output + ((((long)token * c.NumHeads) + firstHead + i) * d);
            }
            else
            {
                outputs[i] = discard;
            }
        }

        // Pass 1: scores.
        var j0 = 0;
        if (d % 16 == 0)
        {
            for (; j0 + 4 <= n; j0 += 4)
            {
                AttentionTiles.Scores4x4<TKv>(queries, dp, keys[j0], keys[j0 + 1], keys[j0 + 2], keys[j0 + 3], d / 16, _scale, scores + j0, sStride);
            }
        }

        for (var i = 0; i < QueryTile; i++)
        {
            for (var j = j0; j < n; j++)
            {
                scores[(i * sStride) + j] = i < count ? AttentionTiles.Score<TKv>(queries + (i * dp), keys[j], d, _scale) : 0f;
            }
        }

        // Pass 2: softmax weights e_j = exp(s_j - max) and their sum, per query.
        var sums = stackalloc float[QueryTile];
        for (var i = 0; i < QueryTile; i++)
        {
            var row = scores + (i * sStride);
            var padded = (n + 15) & ~15;
            new Span<float>(row + n, padded - n).Clear();
            if (i < count)
            {
                var weights = new Span<float>(row, n);
                TensorPrimitives.Subtract(weights, TensorPrimitives.Max(weights), weights);
                TensorPrimitives.Exp(weights, weights);
            }

            sums[i] = i < count ? AttentionTiles.WeightSum(row, n) : 1f;
        }

        // Pass 3: Σ e_j·V_j in position order, divided by the sum.
        var chunks = d / 16;
        var chunk = 0;
        for (; chunk + 4 <= chunks; chunk += 4)
        {
            AttentionTiles.Values4x4<TKv>(scores, sStride, values, n, chunk, sums, outputs);
        }

        for (var i = 0; i < count; i++)
        {
            for (var rest = chunk; rest < chunks; rest++)
            {
                AttentionTiles.Values1x1<TKv>(scores + (i * sStride), values, n, rest, sums[i], outputs[i]);
            }

            for (var e = chunks * 16; e < d; e++)
            {
                AttentionTiles.ValueElement<TKv>(scores + (i * sStride), values, n, e, sums[i], outputs[i]);
            }
        }
    }

    /// <summary>One thread's buffers: 4 score rows, the row addresses of K then V, 4 padded queries, one discarded output.</summary>
    private sealed class Scratch
    {
        public Scratch(int positions, int headDim)
        {
            Positions = positions;
            HeadDim = headDim;
            PaddedHeadDim = (headDim + 15) & ~15;
            ScoreStride = (positions + 15) & ~15;
            Scores = new float[QueryTile * ScoreStride];
            Rows = new nint[2 * positions];
            Queries = new float[QueryTile * PaddedHeadDim];
            Discard = new float[PaddedHeadDim];
        }

        public int Positions { get; }

        public int HeadDim { get; }

        public int PaddedHeadDim { get; }

        public int ScoreStride { get; }

        public float[] Scores { get; }

        public nint[] Rows { get; }

        public float[] Queries { get; }

        public float[] Discard { get; }
    }
}
