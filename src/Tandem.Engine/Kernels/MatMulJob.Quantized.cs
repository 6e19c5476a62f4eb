using System.Runtime.Intrinsics;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>
/// Q8_0 and Q4_0 weights: x is quantized once per call into <see cref="ActivationBlocks"/> and every
/// (row, token) runs <see cref="QuantizedTiles"/>' canonical order, in the loop shape of the float
/// path (row blocks in L2, 4-token tiles over slices of the reduction axis, 4-row tiles).
/// </summary>
internal sealed unsafe partial class MatMulJob
{
    /// <summary>Blocks per slice in the multi-token loop: 4 KiB of activations per token.</summary>
    private const int SliceBlocks = 64;

    private nint _aStride;

    private void PackQuantized(in WeightMatrix w, ReadOnlySpan<float> x, int n)
    {
        var blocks = w.Cols / 32;
        var offset = w.DType == DType.Q8_0 ? Q8Blocks.Offset : Q4Blocks.Offset;

        // A stride of a multiple of 4 KiB would put the 4 tokens of a tile in the same L1 sets.
        _aStride = ActivationBlocks.TokenBytes(blocks) + 64;
        var packed = (byte*)_packed.Ensure(n * _aStride / sizeof(float));
        _x = (float*)packed;
        fixed (float* source = x)
        {
            for (var t = 0; t < n; t++)
            {
                ActivationBlocks.Quantize(source + ((long)t * w.Cols), blocks, offset, packed + (t * _aStride));
            }
        }
    }

    private void RunQuantized<T>(int start, int end)
        where T : IQuantizedBlocks
    {
        var stride = (nint)_w.RowBytes;
        var blockRows = _n < 4 ? end - start : BlockRows(stride);
        for (var r = start; r < end; r += blockRows)
        {
            QuantizedBlock<T>(_w.Row(r), stride, r, Math.Min(blockRows, end - r));
        }
    }

    /// <summary>y for rows [row0, row0 + rows) and every token; <paramref name="w"/> points at row0.</summary>
    private void QuantizedBlock<T>(byte* w, nint stride, int row0, int rows)
        where T : IQuantizedBlocks
    {
        nint yStride = _w.Rows;
        var y = _y + row0;
        var a = (byte*)_x;
        var blocks = _w.Cols / 32;
        if (!QuantizedTiles.IsSupported)
        {
            for (var t = 0; t < _n; t++)
            {
                for (var i = 0; i < rows; i++)
                {
                    y[(t * yStride) + i] = QuantizedTiles.Scalar<T>(w + (i * stride), blocks, a + (t * _aStride));
                }
            }

            return;
        }

        var rows4 = rows & ~3;
        var n4 = _n & ~3;
        var acc = n4 == 0 || blocks <= SliceBlocks ? null
            : (Vector256<float>*)(t_accumulators ??= new PinnedFloats()).Ensure(rows4 / 4 * 16L * 8);
        for (var t = 0; t < n4; t += 4)
        {
            for (var b = 0; b < blocks; b += SliceBlocks)
            {
                var count = Math.Min(SliceBlocks, blocks - b);
                for (var i = 0; i < rows4; i += 4)
                {
                    QuantizedTiles.Tile4x4<T>(w + (i * stride), stride, blocks, b, count, a + (t * _aStride), _aStride, acc + (i * 4), y + (t * yStride) + i, yStride);
                }
            }
        }

        for (var t = n4; t < _n; t++)
        {
            for (var i = 0; i < rows4; i += 4)
            {
                QuantizedTiles.Tile4x1<T>(w + (i * stride), stride, blocks, a + (t * _aStride), y + (t * yStride) + i);
            }
        }

        for (var i = rows4; i < rows; i++)
        {
            for (var t = 0; t < _n; t++)
            {
                y[(t * yStride) + i] = QuantizedTiles.Tile1x1<T>(w + (i * stride), blocks, a + (t * _aStride));
            }
        }
    }
}
