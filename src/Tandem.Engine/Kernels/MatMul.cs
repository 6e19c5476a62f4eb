using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>
/// y = x · Wᵀ for a batch of tokens: <c>y[t * w.Rows + r] = Σ_k w[r, k] * x[t * w.Cols + k]</c>.
/// </summary>
/// <remarks>
/// Batch invariant: each y[t, r] is one dot product computed in the canonical order of
/// <see cref="DotTiles"/> whatever n, the other tokens, the tile that holds it or the thread
/// count. Threads split output rows; the reduction axis is never split.
/// <code>
///   x  [n × Cols] ──pack once (decoder order, zero-padded to 32)──▶ packed [n × Cols32]
///   W  [Rows × Cols]: each thread takes a contiguous row range, in blocks of ~192 KiB of weights
///   per block: for each 4-token tile: for each 2048-column slice: for each 4-row tile: Tile4x4
///              (every chunk step prefetches one line of the next block: it arrives from memory
///              while this block computes, instead of stalling the next block's first token tile)
///              (leftover tokens: Tile8x1 / Tile4x1 over all of Cols; leftover rows: Tile1x1)
///   n &lt; 4: Tile8x1 (Tile4x1 for 4 rows left) streams each thread's rows once, with software prefetch
/// </code>
/// Without AVX-512 the same order runs on AVX2 tiles (<see cref="DotTiles256"/>): the same bits on any CPU.
/// F32, BF16 and F16 weights loaded by the engine on AVX-512 or AVX2 are held in groups of 16 rows with column pairs
/// interleaved (<see cref="FloatRowGroups"/>): outer-product tiles of 16, 8, 4, 2 or 1 token
/// (<see cref="FloatGroupTiles"/>, <see cref="FloatGroupTiles256"/>, <c>MatMulJob.FloatGroups.cs</c>), in their own canonical order.
/// Q8_0 and Q4_0 weights are held in groups of 16 interleaved rows (<see cref="QuantizedRowGroups"/>):
/// threads split the groups, x is quantized to 8-bit blocks, and 16-row tiles run over 1 or 4 tokens
/// (<see cref="QuantizedTiles"/>, <c>MatMulJob.Quantized.cs</c>), or over 16 on AMX-INT8 tiles from
/// 8 tokens on (<c>MatMulJob.AmxInt8.cs</c>).
/// </remarks>
public static class MatMul
{
    [ThreadStatic]
    private static MatMulJob? t_job;

    /// <summary>y[t] = w · x[t] for the n tokens.</summary>
    /// <param name="w">The matrix, Rows × Cols.</param>
    /// <param name="x">n × Cols activations, token after token.</param>
    /// <param name="n">Tokens.</param>
    /// <param name="y">n × Rows outputs.</param>
    /// <param name="threads">The threads that split the rows.</param>
    /// <param name="xUnchanged">
    /// True when x is the same memory, holding the same values, as in this thread's previous call (the
    /// Q, K and V projections of one input): the x this thread packed then is used again when this
    /// matrix packs x the same way. The caller vouches for the values; the rest is checked.
    /// </param>
    public static void Compute(in WeightMatrix w, ReadOnlySpan<float> x, int n, Span<float> y, KernelThreads threads, bool xUnchanged = false) =>
        ComputeOn(FloatVectorWidth.Auto, w, x, n, y, threads, xUnchanged);

    /// <summary>As the public overload, with the row-major float products on <paramref name="width"/>'s tiles (tests run every width).</summary>
    internal static void ComputeOn(FloatVectorWidth width, in WeightMatrix w, ReadOnlySpan<float> x, int n, Span<float> y, KernelThreads threads, bool xUnchanged = false)
    {
        ArgumentNullException.ThrowIfNull(threads);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (x.Length < (long)n * w.Cols)
        {
            throw new ArgumentException($"x holds {x.Length} values, needs {n} × {w.Cols}", nameof(x));
        }

        if (y.Length < (long)n * w.Rows)
        {
            throw new ArgumentException($"y holds {y.Length} values, needs {n} × {w.Rows}", nameof(y));
        }

        if (n == 0 || w.Rows == 0)
        {
            return;
        }

        var job = t_job ??= new MatMulJob();
        job.Run(w, x, n, y, threads, xUnchanged, width);
    }
}
