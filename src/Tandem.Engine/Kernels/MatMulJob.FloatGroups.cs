using System.Runtime.Intrinsics.X86;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>
/// F32, BF16 and F16 matrices in row groups (<see cref="FloatRowGroups"/>): x packed column-major per token tile
/// (tiles of 16, 8, 4 and 2 tokens, then a single token), threads split the groups, and each thread
/// takes its groups a block at a time (~192 KiB, at least 4 groups, L2-resident), running every
/// token tile over the block before the next block: the weights come from memory once.
/// </summary>
internal sealed unsafe partial class MatMulJob
{
    private readonly Action<int, int> _runFloatGroups;
    private readonly Action<int, int> _packTokenTiles;

    private void RunOnFloatGroups(in WeightMatrix w, ReadOnlySpan<float> x, int n, Span<float> y, KernelThreads threads, bool reuse)
    {
        _x = _packed.Ensure((long)n * 2 * FloatRowGroups.Pairs(w.Cols));
        fixed (float* source = x)
        fixed (float* output = y)
        {
            _w = w;
            _n = n;
            _source = source;
            _y = output;
            try
            {
                if (!reuse && n < 4)
                {
                    PackTokenTiles(0, FloatRowGroups.Pairs(w.Cols));
                }
                else if (!reuse)
                {
                    // Threads split the column pairs: a batch-16 step packs x 88 times, ~2 % of it on one thread.
                    threads.For(FloatRowGroups.Pairs(w.Cols), 256, _packTokenTiles);
                }

                // Chunks of whole 4-group runs: the one-token kernel streams four groups at a time.
                threads.For(FloatRowGroups.Groups(w.Rows), 4, _runFloatGroups);
            }
            finally
            {
                _source = null;
                _y = null;
            }
        }
    }

    /// <summary>The tokens of the tile that starts at a token with <paramref name="remaining"/> tokens from there on.</summary>
    private static int TileTokens(int remaining) => remaining >= 16 ? 16 : remaining >= 8 ? 8 : remaining >= 4 ? 4 : remaining >= 2 ? 2 : 1;

    /// <summary>
    /// Column pairs [<paramref name="start"/>, <paramref name="end"/>) of x (n × Cols) into token tiles: the tile of T tokens
    /// starting at token t0 holds x[t0 + i, k] at <c>packed[t0 * columns + k * T + i]</c> (columns = 2 · pairs); columns past
    /// Cols are 0.
    /// </summary>
    private void PackTokenTiles(int start, int end)
    {
        var cols = _w.Cols;
        var columns = 2 * FloatRowGroups.Pairs(cols);
        var last = Math.Min(cols, 2 * end);
        for (var t0 = 0; t0 < _n;)
        {
            var tokens = TileTokens(_n - t0);
            var tile = _x + ((long)t0 * columns);
            for (var i = 0; i < tokens; i++)
            {
                var row = _source + ((long)(t0 + i) * cols);
                for (var k = 2 * start; k < last; k++)
                {
                    tile[(k * tokens) + i] = row[k];
                }

                for (var k = Math.Max(cols, 2 * start); k < 2 * end; k++)
                {
                    tile[(k * tokens) + i] = 0f;
                }
            }

            t0 += tokens;
        }
    }

    private void RunFloatGroups(int start, int end)
    {
        switch (_w.DType)
        {
            case DType.F16:
                RunFloatGroups<F16Pairs>(start, end);
                break;
            case DType.F32:
                RunFloatGroups<F32Pairs>(start, end);
                break;
            default:
                RunFloatGroups<Bf16Pairs>(start, end);
                break;
        }
    }

    private void RunFloatGroups<T>(int start, int end)
        where T : IPairDecoder
    {
        if (_width == FloatVectorWidth.Vector512 && Avx512F.IsSupported)
        {
            RunFloatGroups<T, Avx512GroupKernels>(start, end);
        }
        else if (_width != FloatVectorWidth.Scalar && FloatGroupTiles256.IsSupported)
        {
            RunFloatGroups<T, Avx2GroupKernels>(start, end);
        }
        else
        {
            RunFloatGroupsScalar(start, end, 2 * FloatRowGroups.Pairs(_w.Cols));
        }
    }

    /// <summary>
    /// Groups [<paramref name="start"/>, <paramref name="end"/>) a block at a time, every token tile over a block before
    /// the next, on one vector width's kernels (<typeparamref name="TKernels"/>).
    /// </summary>
    private void RunFloatGroups<T, TKernels>(int start, int end)
        where T : IPairDecoder
        where TKernels : IGroupKernels
    {
        var pairs = FloatRowGroups.Pairs(_w.Cols);
        var columns = 2 * pairs;
        var groupBytes = FloatRowGroups.GroupBytes(_w.DType, _w.Cols);
        var fullGroups = _w.Rows / FloatRowGroups.GroupRows;
        nint yStride = _w.Rows;
        var blockGroups = Math.Max(4, (int)(BlockBytes / Math.Max(groupBytes, 1)) & ~3);
        var scratch = stackalloc float[16 * 16];
        for (var g0 = start; g0 < end; g0 += blockGroups)
        {
            var g1 = Math.Min(end, g0 + blockGroups);

            // The multi-group kernels take whole groups only (none of them padding).
            var wholeEnd = Math.Min(g1, fullGroups);
            for (var t0 = 0; t0 < _n;)
            {
                var tokens = TileTokens(_n - t0);
                var x = _x + ((long)t0 * columns);
                for (var g = g0; g < g1;)
                {
                    var w = _w.Data + (g * groupBytes);
                    var y = _y + (t0 * yStride) + (g * FloatRowGroups.GroupRows);
                    var taken = TKernels.Groups<T>(w, (nint)groupBytes, pairs, x, tokens, y, yStride, wholeEnd - g);
                    if (taken > 0)
                    {
                        g += taken;
                        continue;
                    }

                    var full = g < fullGroups;
                    TKernels.Group<T>(w, pairs, x, tokens, full ? y : scratch, full ? yStride : 16);
                    if (!full)
                    {
                        CopyPartialGroup(scratch, g, tokens, y, yStride);
                    }

                    g++;
                }

                t0 += tokens;
            }
        }
    }

    /// <summary>The rows of the padded last group <paramref name="g"/> that exist, from the kernels' scratch (16 floats a token) into y.</summary>
    private void CopyPartialGroup(float* scratch, int g, int tokens, float* y, nint yStride)
    {
        var rows = _w.Rows - (g * FloatRowGroups.GroupRows);
        for (var i = 0; i < tokens; i++)
        {
            new ReadOnlySpan<float>(scratch + (i * 16), rows).CopyTo(new Span<float>(y + (i * yStride), rows));
        }
    }

    /// <summary>Without AVX-512 or AVX2: the canonical order one (row, token) at a time.</summary>
    private void RunFloatGroupsScalar(int start, int end, int columns)
    {
        var lastRow = Math.Min(_w.Rows, end * FloatRowGroups.GroupRows);
        for (var t0 = 0; t0 < _n;)
        {
            var tokens = TileTokens(_n - t0);
            var column = new float[columns];
            for (var i = 0; i < tokens; i++)
            {
                for (var k = 0; k < columns; k++)
                {
                    column[k] = _x[((long)t0 * columns) + (k * tokens) + i];
                }

                for (var r = start * FloatRowGroups.GroupRows; r < lastRow; r++)
                {
                    _y[((long)(t0 + i) * _w.Rows) + r] = FloatRowGroups.Scalar(_w, r, column);
                }
            }

            t0 += tokens;
        }
    }
}

/// <summary>One vector width's row-group kernels, as <see cref="MatMulJob"/>'s block loop calls them.</summary>
internal unsafe interface IGroupKernels
{
    /// <summary>
    /// A tile of <paramref name="tokens"/> over several whole groups at once where this width has such a kernel and
    /// <paramref name="wholeLeft"/> whole groups remain; returns the groups taken, 0 for none.
    /// </summary>
    static abstract int Groups<T>(byte* w, nint groupBytes, int pairs, float* x, int tokens, float* y, nint yStride, int wholeLeft)
        where T : IPairDecoder;

    /// <summary>A tile of <paramref name="tokens"/> (16, 8, 4, 2 or 1, packed as <c>TileTokens</c> makes them) over one group.</summary>
    static abstract void Group<T>(byte* w, int pairs, float* x, int tokens, float* y, nint yStride)
        where T : IPairDecoder;
}

/// <summary>AVX-512: 1 token over 4 groups, 2 over 4, 4 over 2; single-group kernels of 16, 8, 4, 2 and 1 token.</summary>
internal readonly unsafe struct Avx512GroupKernels : IGroupKernels
{
    public static int Groups<T>(byte* w, nint groupBytes, int pairs, float* x, int tokens, float* y, nint yStride, int wholeLeft)
        where T : IPairDecoder
    {
        switch (tokens)
        {
            case 1 when wholeLeft >= 4:
                FloatGroupTiles.OneToken4<T>(w, groupBytes, pairs, x, y);
                return 4;
            case 2 when wholeLeft >= 4:
                FloatGroupTiles.Tokens2Quad<T>(w, groupBytes, pairs, x, y, yStride);
                return 4;
            case 4 when wholeLeft >= 2:
                FloatGroupTiles.Tokens4Pair<T>(w, groupBytes, pairs, x, y, yStride);
                return 2;
            default:
                return 0;
        }
    }

    public static void Group<T>(byte* w, int pairs, float* x, int tokens, float* y, nint yStride)
        where T : IPairDecoder
    {
        switch (tokens)
        {
            case 16:
                FloatGroupTiles.Tokens16<T>(w, pairs, x, y, yStride);
                break;
            case 8:
                FloatGroupTiles.Tokens8<T>(w, pairs, x, y, yStride);
                break;
            case 4:
                FloatGroupTiles.Tokens4<T>(w, pairs, x, y, yStride);
                break;
            case 2:
                FloatGroupTiles.Tokens2<T>(w, pairs, x, y, yStride);
                break;
            default:
                FloatGroupTiles.OneToken1<T>(w, pairs, x, y);
                break;
        }
    }
}

/// <summary>AVX2 (<see cref="FloatGroupTiles256"/>): 1 token over 2 groups; tiles of 4 or more 4 tokens at a time over a group, 2 and 1 as they are.</summary>
internal readonly unsafe struct Avx2GroupKernels : IGroupKernels
{
    public static int Groups<T>(byte* w, nint groupBytes, int pairs, float* x, int tokens, float* y, nint yStride, int wholeLeft)
        where T : IPairDecoder
    {
        if (tokens == 1 && wholeLeft >= 2)
        {
            FloatGroupTiles256.OneToken2<T>(w, groupBytes, pairs, x, y);
            return 2;
        }

        return 0;
    }

    public static void Group<T>(byte* w, int pairs, float* x, int tokens, float* y, nint yStride)
        where T : IPairDecoder
    {
        if (tokens == 1)
        {
            FloatGroupTiles256.OneToken1<T>(w, pairs, x, y);
        }
        else if (tokens == 2)
        {
            FloatGroupTiles256.Tokens2<T>(w, pairs, x, 2, y, yStride);
        }
        else
        {
            for (var i = 0; i < tokens; i += 4)
            {
                FloatGroupTiles256.Tokens4<T>(w, pairs, x + i, tokens, y + (i * yStride), yStride);
            }
        }
    }
}
