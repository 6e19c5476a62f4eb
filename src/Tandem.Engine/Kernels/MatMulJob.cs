using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>
/// One <see cref="MatMul.Compute"/> call's state, reused call after call by its calling thread so
/// that a call allocates nothing: the packed x and a cached row-range delegate for the threads.
/// </summary>
internal sealed unsafe partial class MatMulJob
{
    /// <summary>Weights per row block: small enough to stay in L2 while every token tile passes over it.</summary>
    private const int BlockBytes = 192 * 1024;

    /// <summary>Chunks (of 32) per slice of the reduction axis in the multi-token loop: 32 KiB of x per 4 tokens.</summary>
    private const int SliceChunks = 64;

    /// <summary>As <see cref="SliceChunks"/> for the AVX2 tiles: 16 KiB of x per 4 tokens, half of Zen 3's L1.</summary>
    private const int SliceChunks256 = 32;

    [ThreadStatic]
    private static PinnedFloats? t_widened;

    [ThreadStatic]
    private static PinnedFloats? t_accumulators;

    private readonly Action<int, int> _runRows;
    private readonly Action<int, int> _runGroups;
    private readonly PinnedFloats _packed = new();
    private readonly PinnedFloats _amxInt8Operands = new();
    private WeightMatrix _w;
    private int _n;
    private float* _x;
    private nint _xStride;
    private float* _y;
    private FloatVectorWidth _width;

    public MatMulJob()
    {
        _runRows = RunRows;
        _runGroups = RunGroups;
        _runTiles = RunTiles;
        _packTiles = PackTiles;
        _packInt8Tiles = PackInt8Tiles;
        _quantizeTokens = QuantizeTokens;
        _runInt8Groups = RunInt8Groups;
        _runFloatGroups = RunFloatGroups;
        _packTokenTiles = PackTokenTiles;
    }

    public void Run(in WeightMatrix w, ReadOnlySpan<float> x, int n, Span<float> y, KernelThreads threads, bool xUnchanged = false, FloatVectorWidth width = FloatVectorWidth.Auto)
    {
        _width = FloatVectorWidths.Resolve(width);
        var packed = Packed.Of(w, x, n);
        var reuse = xUnchanged && packed == _packedX;

        // Until this call has packed x, what the buffers hold is unknown.
        _packedX = default;
        if (w.AmxTiles)
        {
            RunOnTiles(w, x, n, y, threads, reuse);
            _packedX = packed;
            return;
        }

        if (w.FloatGroups)
        {
            RunOnFloatGroups(w, x, n, y, threads, reuse);
            _packedX = packed;
            return;
        }

        var quantized = w.DType.IsQuantized();
        if (!quantized && !reuse)
        {
            PackFloats(w, x, n);
        }

        fixed (float* source = x)
        fixed (float* output = y)
        {
            _w = w;
            _n = n;
            _source = source;
            _y = output;
            try
            {
                if (quantized && !reuse)
                {
                    PackQuantized(threads);
                    _int8TilesPacked = false;
                }

                if (quantized && UsesAmxInt8(n))
                {
                    RunOnInt8Tiles(threads);
                }
                else if (quantized)
                {
                    threads.For(QuantizedRowGroups.Groups(w.Rows), 1, _runGroups);
                }
                else
                {
                    threads.For(w.Rows, 4, _runRows);
                }
            }
            finally
            {
                _source = null;
                _y = null;
            }
        }

        _packedX = packed;
    }

    private void PackFloats(in WeightMatrix w, ReadOnlySpan<float> x, int n)
    {
        var cols32 = (w.Cols + 31) & ~31;

        // A stride of a multiple of 4 KiB would put the 4 tokens of a tile in the same L1 sets.
        _xStride = cols32 + 16;
        _x = _packed.Ensure(n * _xStride);
        fixed (float* source = x)
        {
            for (var t = 0; t < n; t++)
            {
                if (w.DType == DType.BF16)
                {
                    Pack<BF16Chunks>(source + ((long)t * w.Cols), w.Cols, _x + (t * _xStride));
                }
                else
                {
                    Pack<F32Chunks>(source + ((long)t * w.Cols), w.Cols, _x + (t * _xStride));
                }
            }
        }
    }

    private static void Pack<T>(float* x, int cols, float* packed)
        where T : IChunkDecoder
    {
        var c = 0;
        for (; c + 32 <= cols; c += 32)
        {
            T.PackX(x + c, packed + c);
        }

        if (c < cols)
        {
            T.PackXTail(x + c, cols - c, packed + c);
        }
    }

    private void RunRows(int start, int end)
    {
        switch (_w.DType)
        {
            case DType.F32:
                RunStored<F32Chunks>(start, end);
                break;
            case DType.BF16:
                RunStored<BF16Chunks>(start, end);
                break;
            case DType.F16:
                RunWidened(start, end);
                break;
            default:
                throw new NotSupportedException($"weights in {_w.DType}");
        }
    }

    private void RunStored<T>(int start, int end)
        where T : IChunkDecoder
    {
        var stride = (nint)_w.RowBytes;
        var blockRows = _n < 4 ? end - start : BlockRows(stride);
        for (var r = start; r < end; r += blockRows)
        {
            Block<T>(_w.Row(r), stride, _w.Cols, r, Math.Min(blockRows, end - r), _w.Row(r) + (blockRows * stride), r + blockRows < end ? Math.Min(blockRows, end - r - blockRows) * stride : 0);
        }
    }

    /// <summary>F16 rows are widened to fp32 block by block (zero-padded to 32), then run as F32.</summary>
    private void RunWidened(int start, int end)
    {
        var cols32 = (_w.Cols + 31) & ~31;
        var stride = (nint)cols32 * sizeof(float);
        var blockRows = BlockRows(stride);
        var scratch = (t_widened ??= new PinnedFloats()).Ensure((long)blockRows * cols32);
        for (var r = start; r < end; r += blockRows)
        {
            var rows = Math.Min(blockRows, end - r);
            for (var i = 0; i < rows; i++)
            {
                var row = new Span<float>(scratch + ((long)i * cols32), cols32);
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(_w.Row(r + i), _w.Cols), row);
                row[_w.Cols..].Clear();
            }

            Block<F32Chunks>((byte*)scratch, stride, cols32, r, rows, null, 0);
        }
    }

    private static int BlockRows(nint rowBytes) => Math.Max(4, (int)(BlockBytes / Math.Max(rowBytes, 1)) & ~3);

    /// <summary>y for rows [row0, row0 + rows) and every token; <paramref name="w"/> points at row0.</summary>
    private void Block<T>(byte* w, nint stride, int cols, int row0, int rows, byte* next, nint nextBytes)
        where T : IChunkDecoder
    {
        nint yStride = _w.Rows;
        var y = _y + row0;
        if (_width == FloatVectorWidth.Vector256)
        {
            Block256<T>(w, stride, cols, y, yStride, rows, next, nextBytes);
            return;
        }

        if (_width == FloatVectorWidth.Scalar)
        {
            for (var t = 0; t < _n; t++)
            {
                for (var i = 0; i < rows; i++)
                {
                    y[(t * yStride) + i] = DotTiles.Scalar<T>(w + (i * stride), cols, _x + (t * _xStride));
                }
            }

            return;
        }

        var rows4 = rows & ~3;
        var n4 = _n & ~3;
        var chunks = (cols + 31) / 32;
        var acc = n4 == 0 || chunks <= SliceChunks ? null
            : (Vector512<float>*)(t_accumulators ??= new PinnedFloats()).Ensure(rows4 / 4 * 16L * 16);
        byte* prefetch = next, prefetchEnd = next + nextBytes;
        for (var t = 0; t < n4; t += 4)
        {
            // Slices of the reduction axis keep the x tile in L1 while every row tile passes over it.
            for (var c = 0; c < chunks; c += SliceChunks)
            {
                var count = Math.Min(SliceChunks, chunks - c);
                for (var i = 0; i < rows4; i += 4)
                {
                    DotTiles.Tile4x4<T>(w + (i * stride), stride, cols, c, count, _x + (t * _xStride), _xStride, acc + (i * 4), y + (t * yStride) + i, yStride, ref prefetch, prefetchEnd);
                }
            }
        }

        var rows8 = rows & ~7;
        for (var t = n4; t < _n; t++)
        {
            for (var i = 0; i < rows8; i += 8)
            {
                DotTiles.Tile8x1<T>(w + (i * stride), stride, cols, _x + (t * _xStride), y + (t * yStride) + i);
            }

            for (var i = rows8; i < rows4; i += 4)
            {
                DotTiles.Tile4x1<T>(w + (i * stride), stride, cols, _x + (t * _xStride), y + (t * yStride) + i);
            }
        }

        for (var i = rows4; i < rows; i++)
        {
            for (var t = 0; t < _n; t++)
            {
                y[(t * yStride) + i] = DotTiles.Tile1x1<T>(w + (i * stride), cols, _x + (t * _xStride));
            }
        }
    }

    /// <summary>As <see cref="Block{T}"/> with the AVX2 tiles (<see cref="DotTiles256"/>); <paramref name="y"/> points at row0.</summary>
    private void Block256<T>(byte* w, nint stride, int cols, float* y, nint yStride, int rows, byte* next, nint nextBytes)
        where T : IChunkDecoder
    {
        var n4 = _n & ~3;
        var chunks = (cols + 31) / 32;
        var acc = n4 == 0 ? null : (t_accumulators ??= new PinnedFloats()).Ensure(rows * 64L);
        byte* prefetch = next, prefetchEnd = next + nextBytes;
        for (var t = 0; t < n4; t += 4)
        {
            // Slices of the reduction axis keep the x tile in L1 while every row passes over it.
            for (var c = 0; c < chunks; c += SliceChunks256)
            {
                var count = Math.Min(SliceChunks256, chunks - c);
                for (var i = 0; i < rows; i++)
                {
                    DotTiles256.Tile1x4<T>(w + (i * stride), cols, c, count, _x + (t * _xStride), _xStride, acc + (i * 64), y + (t * yStride) + i, yStride, ref prefetch, prefetchEnd);
                }
            }
        }

        var rows4 = rows & ~3;
        for (var t = n4; t < _n; t++)
        {
            for (var i = 0; i < rows4; i += 4)
            {
                DotTiles256.Tile4x1<T>(w + (i * stride), stride, cols, _x + (t * _xStride), y + (t * yStride) + i);
            }

            for (var i = rows4; i < rows; i++)
            {
                y[(t * yStride) + i] = DotTiles256.Tile1x1<T>(w + (i * stride), cols, _x + (t * _xStride));
            }
        }
    }
}
