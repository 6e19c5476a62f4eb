using System.Runtime.Intrinsics.X86;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>
/// BF16 matrices in row groups (<see cref="Bf16RowGroups"/>): x packed column-major per token tile
/// (tiles of 16, 8 and 4 tokens, then single tokens), threads split the groups, and each thread
/// takes its groups a block at a time (~192 KiB, at least 4 groups, L2-resident), running every
/// token tile over the block before the next block: the weights come from memory once.
/// </summary>
internal sealed unsafe partial class MatMulJob
{
    private readonly Action<int, int> _runBf16Groups;

    private void RunOnBf16Groups(in WeightMatrix w, ReadOnlySpan<float> x, int n, Span<float> y, KernelThreads threads, bool reuse)
    {
        var columns = 2 * Bf16RowGroups.Pairs(w.Cols);
        _x = _packed.Ensure((long)n * columns);
        fixed (float* source = x)
        fixed (float* output = y)
        {
            if (!reuse)
            {
                PackTokenTiles(source, n, w.Cols, columns, _x);
            }

            _w = w;
            _n = n;
            _y = output;
            try
            {
                // Chunks of whole 4-group runs: the one-token kernel streams four groups at a time.
                threads.For(Bf16RowGroups.Groups(w.Rows), 4, _runBf16Groups);
            }
            finally
            {
                _y = null;
            }
        }
    }

    /// <summary>The tokens of the tile that starts at a token with <paramref name="remaining"/> tokens from there on.</summary>
    private static int TileTokens(int remaining) => remaining >= 16 ? 16 : remaining >= 8 ? 8 : remaining >= 4 ? 4 : 1;

    /// <summary>
    /// x (n × <paramref name="cols"/>) into token tiles: the tile of T tokens starting at token t0
    /// holds x[t0 + i, k] at <c>packed[t0 * columns + k * T + i]</c>; columns past cols are 0.
    /// </summary>
    private static void PackTokenTiles(float* x, int n, int cols, int columns, float* packed)
    {
        for (var t0 = 0; t0 < n;)
        {
            var tokens = TileTokens(n - t0);
            var tile = packed + ((long)t0 * columns);
            for (var i = 0; i < tokens; i++)
            {
                var row = x + ((long)(t0 + i) * cols);
                for (var k = 0; k < cols; k++)
                {
                    tile[(k * tokens) + i] = row[k];
                }

                for (var k = cols; k < columns; k++)
                {
                    tile[(k * tokens) + i] = 0f;
                }
            }

            t0 += tokens;
        }
    }

    private void RunBf16Groups(int start, int end)
    {
        var pairs = Bf16RowGroups.Pairs(_w.Cols);
        var columns = 2 * pairs;
        var groupBytes = Bf16RowGroups.GroupBytes(_w.Cols);
        var fullGroups = _w.Rows / Bf16RowGroups.GroupRows;
        nint yStride = _w.Rows;
        if (!Avx512F.IsSupported)
        {
            RunBf16GroupsScalar(start, end, columns);
            return;
        }

        var blockGroups = Math.Max(4, (int)(BlockBytes / Math.Max(groupBytes, 1)) & ~3);
        var scratch = stackalloc float[16 * 16];
        for (var g0 = start; g0 < end; g0 += blockGroups)
        {
            var g1 = Math.Min(end, g0 + blockGroups);
            for (var t0 = 0; t0 < _n;)
            {
                var tokens = TileTokens(_n - t0);
                var x = _x + ((long)t0 * columns);
                for (var g = g0; g < g1;)
                {
                    var w = _w.Data + (g * groupBytes);
                    var y = _y + (t0 * yStride) + (g * Bf16RowGroups.GroupRows);
                    if (tokens == 1 && g + 4 <= Math.Min(g1, fullGroups))
                    {
                        Bf16GroupTiles.OneToken4(w, (nint)groupBytes, pairs, x, y);
                        g += 4;
                        continue;
                    }

                    var full = g < fullGroups;
                    var target = full ? y : scratch;
                    var stride = full ? yStride : 16;
                    switch (tokens)
                    {
                        case 16:
                            Bf16GroupTiles.Tokens16(w, pairs, x, target, stride);
                            break;
                        case 8:
                            Bf16GroupTiles.Tokens8(w, pairs, x, target, stride);
                            break;
                        case 4:
                            Bf16GroupTiles.Tokens4(w, pairs, x, target, stride);
                            break;
                        default:
                            Bf16GroupTiles.OneToken1(w, pairs, x, target);
                            break;
                    }

                    if (!full)
                    {
                        var rows = _w.Rows - (g * Bf16RowGroups.GroupRows);
                        for (var i = 0; i < tokens; i++)
                        {
                            new ReadOnlySpan<float>(scratch + (i * 16), rows).CopyTo(new Span<float>(y + (i * yStride), rows));
                        }
                    }

                    g++;
                }

                t0 += tokens;
            }
        }
    }

    /// <summary>Without AVX-512: the canonical order one (row, token) at a time.</summary>
    private void RunBf16GroupsScalar(int start, int end, int columns)
    {
        var lastRow = Math.Min(_w.Rows, end * Bf16RowGroups.GroupRows);
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

                for (var r = start * Bf16RowGroups.GroupRows; r < lastRow; r++)
                {
                    _y[((long)(t0 + i) * _w.Rows) + r] = Bf16RowGroups.Scalar(_w, r, column);
                }
            }

            t0 += tokens;
        }
    }
}
