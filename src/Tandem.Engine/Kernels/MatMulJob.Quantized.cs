using Tandem.Engine.Kernels.Vnni512;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>
/// Q8_0 and Q4_0 weights: x is quantized once per call into <see cref="ActivationBlocks"/>, threads
/// split the row groups (<see cref="QuantizedRowGroups"/>), and every (row, token) runs
/// <see cref="QuantizedTiles"/>' canonical order: 16-row × 4-token tiles over L2-sized runs of groups,
/// 16 × 1 for the tokens left over and for decode; whole groups run both on 512-bit VNNI where the
/// CPU has it (<see cref="QuantizedMatVec"/>), the padded last group on AVX-VNNI.
/// </summary>
internal sealed unsafe partial class MatMulJob
{
    private readonly Action<int, int> _quantizeTokens;
    private nint _aStride;

    /// <summary>x quantized into activation blocks, tokens split over the threads from 2 tokens on.</summary>
    private void PackQuantized(KernelThreads threads)
    {
        // A stride of a multiple of 4 KiB would put the 4 tokens of a tile in the same L1 sets.
        _aStride = ActivationBlocks.TokenBytes(_w.Cols / 32) + 64;
        _x = _packed.Ensure(_n * _aStride / sizeof(float));
        threads.For(_n, 1, _quantizeTokens);
    }

    /// <summary>Tokens [start, end) of x into their activation blocks.</summary>
    private void QuantizeTokens(int start, int end)
    {
        var blocks = _w.Cols / 32;
        var offset = _w.DType == DType.Q8_0 ? Q8Blocks.Offset : Q4Blocks.Offset;
        for (var t = start; t < end; t++)
        {
            ActivationBlocks.Quantize(_source + ((long)t * _w.Cols), blocks, offset, (byte*)_x + (t * _aStride));
        }
    }

    private void RunGroups(int start, int end)
    {
        if (_w.DType == DType.Q8_0)
        {
            RunGroups<Q8Blocks>(start, end);
        }
        else
        {
            RunGroups<Q4Blocks>(start, end);
        }
    }

    /// <summary>y for groups [start, end) and every token.</summary>
    private void RunGroups<T>(int start, int end)
        where T : IQuantizedBlocks
    {
        nint yStride = _w.Rows;
        var a = (byte*)_x;
        var blocks = _w.Cols / 32;
        var groupBytes = QuantizedRowGroups.GroupBytes(_w.DType, _w.Cols);
        if (!QuantizedTiles.IsSupported)
        {
            for (var g = start; g < end; g++)
            {
                var group = _w.Data + (g * groupBytes);
                for (var r = 0; r < Rows(g); r++)
                {
                    for (var t = 0; t < _n; t++)
                    {
                        _y[(t * yStride) + (g * QuantizedRowGroups.GroupRows) + r] = QuantizedTiles.Scalar<T>(group, blocks, r, a + (t * _aStride));
                    }
                }
            }

            return;
        }

        // Groups [start, vnni) are whole and go to 512-bit VNNI where it runs; the rest (a padded last
        // group, or all of them without it) to the AVX-VNNI tiles.
        var vnni = QuantizedMatVec.IsAvailable ? Math.Clamp(_w.Rows / QuantizedRowGroups.GroupRows, start, end) : start;
        var q4 = _w.DType == DType.Q4_0;

        // Runs of groups small enough to stay in L2 while every 4-token tile passes over them.
        var run = _n < 4 ? end - start : (int)Math.Max(1, BlockBytes / groupBytes);
        var n4 = _n & ~3;
        for (var g0 = start; g0 < end; g0 += run)
        {
            var g1 = Math.Min(end, g0 + run);

            // The next run's bytes are prefetched over this run's tile steps (a group takes `blocks`
            // of them on 512-bit VNNI, `blocks` per half on AVX-VNNI), so they arrive from memory
            // while this run computes.
            var whole4 = Math.Clamp(vnni, g0, g1);
            var prefetch = _w.Data + (g1 * groupBytes);
            var prefetchEnd = _w.Data + (Math.Min(end, g1 + run) * groupBytes);
            var steps = (long)(n4 / 4) * (g1 - g0 + (g1 - whole4)) * blocks;
            var lines = steps == 0 ? 0 : (int)(((prefetchEnd - prefetch) / 64 + steps - 1) / steps);
            for (var t = 0; t < n4; t += 4)
            {
                for (var g = g0; g < whole4; g++)
                {
                    QuantizedMatVec.Multiply4(q4, _w.Data + (g * groupBytes), blocks, a + (t * _aStride), _aStride, _y + (t * yStride) + (g * QuantizedRowGroups.GroupRows), yStride, ref prefetch, prefetchEnd, lines);
                }

                for (var g = whole4; g < g1; g++)
                {
                    QuantizedTiles.Group16x4<T>(_w.Data + (g * groupBytes), blocks, a + (t * _aStride), _aStride, _y + (t * yStride) + (g * QuantizedRowGroups.GroupRows), yStride, Rows(g), ref prefetch, prefetchEnd, lines);
                }
            }

            // The tokens left over (all of them below 4): whole groups on 512-bit VNNI where it runs,
            // in L2-sized runs when more than one token passes over them.
            var step = _n - n4 > 1 ? (int)Math.Max(1, BlockBytes / groupBytes) : g1 - g0;
            for (var s0 = g0; s0 < g1; s0 += step)
            {
                var s1 = Math.Min(g1, s0 + step);
                var whole = Math.Clamp(vnni, s0, s1);
                for (var t = n4; t < _n; t++)
                {
                    if (whole > s0)
                    {
                        QuantizedMatVec.Multiply(q4, _w.Data + (s0 * groupBytes), (nint)groupBytes, whole - s0, blocks, a + (t * _aStride), _y + (t * yStride) + (s0 * QuantizedRowGroups.GroupRows));
                    }

                    for (var g = whole; g < s1; g++)
                    {
                        QuantizedTiles.Group16x1<T>(_w.Data + (g * groupBytes), blocks, a + (t * _aStride), _y + (t * yStride) + (g * QuantizedRowGroups.GroupRows), Rows(g));
                    }
                }
            }
        }
    }

    /// <summary>The rows of group <paramref name="g"/> that exist.</summary>
    private int Rows(int g) => Math.Min(QuantizedRowGroups.GroupRows, _w.Rows - (g * QuantizedRowGroups.GroupRows));
}
