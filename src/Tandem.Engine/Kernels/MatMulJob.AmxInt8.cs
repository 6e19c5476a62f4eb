using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tandem.Engine.Kernels.Amx;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>
/// Q8_0 and Q4_0 matrices times 8 tokens or more, on AMX-INT8 where the machine has it: the
/// tokens' activation blocks (<see cref="PackQuantized"/>) rearranged into tiles of 16
/// (<see cref="AmxInt8Operands"/>, threads split the blocks), then threads split the row groups,
/// and each group runs every tile through <see cref="AmxInt8Kernel"/> (the first tile reads the
/// group's weights from memory, the others from L2). Every result equals the AVX-VNNI kernels'
/// bit for bit, so the batch size may choose the path without breaking batch invariance.
/// </summary>
internal sealed unsafe partial class MatMulJob
{
    /// <summary>
    /// Tokens from which a call goes to the tiles. Below it the AVX-VNNI kernels are as fast: the tile
    /// routine costs the same for 1 and for 16 tokens. Measured with Tandem.Bench.Kernels on the
    /// development VM (2 threads).
    /// </summary>
    public const int AmxInt8MinTokens = 8;

    [ThreadStatic]
    private static PinnedFloats? t_int8Scratch;

    [ThreadStatic]
    private static PinnedFloats? t_widened4;

    private readonly Action<int, int> _packInt8Tiles;
    private readonly Action<int, int> _runInt8Groups;
    private byte* _int8Tiles;

    /// <summary>Whether the INT8 tiles hold the activation blocks now packed (reset whenever x is packed again).</summary>
    private bool _int8TilesPacked;

    [ThreadStatic]
    private static long t_int8TileCalls;

    /// <summary>Products this thread has run on the INT8 tiles (tests check which path ran).</summary>
    public static long Int8TileCalls => t_int8TileCalls;

    /// <summary>Whether a product of a Q8_0/Q4_0 matrix with <paramref name="n"/> tokens goes to the tiles.</summary>
    private static bool UsesAmxInt8(int n) => n >= AmxInt8MinTokens && AmxSupport.IsInt8Available;

    private void RunOnInt8Tiles(KernelThreads threads)
    {
        t_int8TileCalls++;
        var blocks = _w.Cols / 32;
        _int8Tiles = (byte*)_amxInt8Operands.Ensure(AmxInt8Operands.Tiles(_n) * AmxInt8Operands.TileBytes(blocks) / sizeof(float));
        if (!_int8TilesPacked)
        {
            threads.For(blocks, 16, _packInt8Tiles);
            _int8TilesPacked = true;
        }

        threads.For(QuantizedRowGroups.Groups(_w.Rows), 1, _runInt8Groups);
    }

    /// <summary>Every tile's blocks [start, end).</summary>
    private void PackInt8Tiles(int start, int end)
    {
        var tileBytes = AmxInt8Operands.TileBytes(_w.Cols / 32);
        for (var tile = 0; tile < AmxInt8Operands.Tiles(_n); tile++)
        {
            AmxInt8Operands.Pack((byte*)_x, _aStride, _n, tile, start, end, _int8Tiles + (tile * tileBytes));
        }
    }

    /// <summary>y for the row groups [start, end) and every token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunInt8Groups(int start, int end)
    {
        var tiles = AmxInt8Operands.Tiles(_n);

        // Groups per routine call: up to 8, fewer with many tiles so that the results stay within 64 KiB.
        var chunk = Math.Clamp(64 / tiles, 1, 8);
        var resultFloats = chunk * tiles * AmxInt8Kernel.Tokens * AmxInt8Kernel.Rows;
        var scratch = (t_int8Scratch ??= new PinnedFloats()).Ensure((AmxInt8Kernel.ScratchBytes / sizeof(float)) + resultFloats);
        var results = scratch + (AmxInt8Kernel.ScratchBytes / sizeof(float));
        var blocks = _w.Cols / 32;
        var groupBytes = QuantizedRowGroups.GroupBytes(_w.DType, _w.Cols);
        var widenedBytes = (nint)blocks * AmxInt8Kernel.BlockBytes;
        var q4 = _w.DType == DType.Q4_0;
        var widened = q4 ? (byte*)(t_widened4 ??= new PinnedFloats()).Ensure(chunk * widenedBytes / sizeof(float)) : null;
        nint scaleBytes = blocks * QuantizedRowGroups.ScaleBytes;
        for (var g0 = start; g0 < end; g0 += chunk)
        {
            var groups = Math.Min(chunk, end - g0);
            var scales = _w.Data + (g0 * groupBytes);
            var data = scales + scaleBytes;
            var dataStride = (nint)groupBytes;
            if (q4)
            {
                // Widened once into L2, for every tile to read.
                for (var g = 0; g < groups; g++)
                {
                    AmxInt8Kernel.Widen(data + (g * groupBytes), blocks, widened + (g * widenedBytes));
                }

                data = widened;
                dataStride = widenedBytes;
            }

            AmxInt8Kernel.Multiply(data, dataStride, scales, (nint)groupBytes, groups, _int8Tiles, AmxInt8Operands.TileBytes(blocks), tiles, blocks, results, (byte*)scratch);
            for (var g = 0; g < groups; g++)
            {
                Scatter(g0 + g, results + (g * tiles * AmxInt8Kernel.Tokens * AmxInt8Kernel.Rows));
            }
        }
    }

    /// <summary>Group <paramref name="g"/>'s results (tile after tile, 16 rows per token) into y; the padding rows of the last group are dropped.</summary>
    private void Scatter(int g, float* results)
    {
        nint yStride = _w.Rows;
        var row0 = g * QuantizedRowGroups.GroupRows;
        var rows = Math.Min(AmxInt8Kernel.Rows, _w.Rows - row0);
        for (var t = 0; t < _n; t++)
        {
            var source = results + (t * AmxInt8Kernel.Rows);
            var destination = _y + (t * yStride) + row0;
            if (rows == AmxInt8Kernel.Rows)
            {
                Vector512.Load(source).Store(destination);
            }
            else
            {
                new Span<float>(source, rows).CopyTo(new Span<float>(destination, rows));
            }
        }
    }
}
