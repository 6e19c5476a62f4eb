using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tandem.Engine.Kernels.Amx;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>
/// Q8_0 and Q4_0 matrices times 8 tokens or more, on AMX-INT8 where the machine has it: the
/// tokens' activation blocks (<see cref="PackQuantized"/>) rearranged into tiles of 16
/// (<see cref="AmxInt8Operands"/>, threads split the blocks), then threads split the row groups and
/// run them through <see cref="AmxInt8Kernel"/>: Q8_0 with up to two token tiles on the weights in
/// place (they stream from memory while the tiles work), otherwise on a signed copy of a few groups at
/// a time in L2, the token tiles taken in runs that stay in L2 too. Every result equals the AVX-VNNI kernels' bit
/// for bit, so the batch size may choose the path and the routine without breaking batch invariance.
/// </summary>
internal sealed unsafe partial class MatMulJob
{
    /// <summary>
    /// Tokens from which a call goes to the tiles. Below it the AVX-VNNI kernels are as fast: the tile
    /// routine costs the same for 1 and for 16 tokens. Measured with Tandem.Bench.Kernels on the
    /// development VM (2 threads).
    /// </summary>
    public const int AmxInt8MinTokens = 8;

    /// <summary>
    /// Token tiles up to which the in-place routine runs, the signed one above. Measured with
    /// Tandem.Bench.Kernels Q8_0 (2 threads, 2048 and 5632 rows × 2048): in place 20–30 % faster at 16
    /// tokens, 0–15 % at 32; even at 64; signed 15–45 % faster from 128 tokens (at 512, 6.1–6.4 ms
    /// against 10.7–12.0 for 2048 rows).
    /// </summary>
    private const int InPlaceMaxTiles = 2;

    /// <summary>Bytes of signed weights copied per routine call (up to 8 groups): they stay in L2 while every token tile passes.</summary>
    private const int SignedChunkBytes = 768 << 10;

    /// <summary>Bytes of token tiles per routine call on signed weights: they stay in L2 from group to group.</summary>
    private const int TileRunBytes = 512 << 10;

    [ThreadStatic]
    private static PinnedFloats? t_int8Scratch;

    [ThreadStatic]
    private static PinnedFloats? t_signedWeights;

    private readonly Action<int, int> _packInt8Tiles;
    private readonly Action<int, int> _runInt8Groups;
    private byte* _int8Tiles;

    /// <summary>
    /// Whether the INT8 tiles hold the activation blocks now packed (reset whenever x is packed again;
    /// a reuse has the same token count, so the same routine and layout).
    /// </summary>
    private bool _int8TilesPacked;

    [ThreadStatic]
    private static long t_int8TileCalls;

    /// <summary>Products this thread has run on the INT8 tiles (tests check which path ran).</summary>
    public static long Int8TileCalls => t_int8TileCalls;

    /// <summary>Whether a product of a Q8_0/Q4_0 matrix with <paramref name="n"/> tokens goes to the tiles.</summary>
    private static bool UsesAmxInt8(int n) => n >= AmxInt8MinTokens && AmxSupport.IsInt8Available;

    /// <summary>
    /// The routine for <paramref name="n"/> tokens: Q4_0 always on signed bytes (its nibbles are copied
    /// as bytes anyway), Q8_0 in place up to <see cref="InPlaceMaxTiles"/> tiles.
    /// </summary>
    internal static AmxInt8Kernel.Variant Int8Variant(DType dtype, int n) =>
        dtype == DType.Q8_0 && AmxInt8Operands.Tiles(n) <= InPlaceMaxTiles ? AmxInt8Kernel.Variant.InPlace : AmxInt8Kernel.Variant.Signed;

    private void RunOnInt8Tiles(KernelThreads threads)
    {
        t_int8TileCalls++;
        var blocks = _w.Cols / 32;
        _int8Tiles = (byte*)_amxInt8Operands.Ensure(AmxInt8Operands.Tiles(_n) * AmxInt8Operands.TileBytes(Int8Variant(_w.DType, _n), blocks) / sizeof(float));
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
        var variant = Int8Variant(_w.DType, _n);
        var tileBytes = AmxInt8Operands.TileBytes(variant, _w.Cols / 32);
        for (var tile = 0; tile < AmxInt8Operands.Tiles(_n); tile++)
        {
            AmxInt8Operands.Pack(variant, (byte*)_x, _aStride, _n, tile, start, end, _int8Tiles + (tile * tileBytes));
        }
    }

    /// <summary>y for the row groups [start, end) and every token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunInt8Groups(int start, int end)
    {
        var variant = Int8Variant(_w.DType, _n);
        var tiles = AmxInt8Operands.Tiles(_n);
        var blocks = _w.Cols / 32;
        var groupBytes = QuantizedRowGroups.GroupBytes(_w.DType, _w.Cols);
        var tileBytes = AmxInt8Operands.TileBytes(variant, blocks);
        var signedBytes = (nint)blocks * AmxInt8Kernel.BlockBytes;
        var inPlace = variant == AmxInt8Kernel.Variant.InPlace;

        // Groups per routine call: up to 8 (in place: fewer with more tiles, so that the results stay
        // within 16 KiB; signed: fewer where their copy would pass SignedChunkBytes), and token tiles
        // per call: all of them in place, else runs within TileRunBytes.
        var chunk = inPlace ? Math.Clamp(16 / tiles, 1, 8) : (int)Math.Clamp(SignedChunkBytes / signedBytes, 1, 8);
        var run = inPlace ? tiles : (int)Math.Clamp(TileRunBytes / tileBytes, 1, Math.Min(tiles, 16));
        var resultFloats = chunk * run * AmxInt8Kernel.Tokens * AmxInt8Kernel.Rows;
        var scratch = (t_int8Scratch ??= new PinnedFloats()).Ensure((AmxInt8Kernel.ScratchBytes / sizeof(float)) + resultFloats);
        var results = scratch + (AmxInt8Kernel.ScratchBytes / sizeof(float));
        var signed = inPlace ? null : (byte*)(t_signedWeights ??= new PinnedFloats()).Ensure(chunk * signedBytes / sizeof(float));
        nint scaleBytes = blocks * QuantizedRowGroups.ScaleBytes;
        for (var g0 = start; g0 < end; g0 += chunk)
        {
            var groups = Math.Min(chunk, end - g0);
            var scales = _w.Data + (g0 * groupBytes);
            var data = scales + scaleBytes;
            var dataStride = (nint)groupBytes;
            if (!inPlace)
            {
                for (var g = 0; g < groups; g++)
                {
                    AmxInt8Kernel.ToSigned(_w.DType, data + (g * groupBytes), blocks, signed + (g * signedBytes));
                }

                data = signed;
                dataStride = signedBytes;
            }

            for (var t0 = 0; t0 < tiles; t0 += run)
            {
                var count = Math.Min(run, tiles - t0);
                AmxInt8Kernel.Multiply(variant, data, dataStride, scales, (nint)groupBytes, groups, _int8Tiles + (t0 * tileBytes), tileBytes, count, blocks, results, (byte*)scratch);
                for (var g = 0; g < groups; g++)
                {
                    Scatter(g0 + g, t0, count, results + (g * count * AmxInt8Kernel.Tokens * AmxInt8Kernel.Rows));
                }
            }
        }
    }

    /// <summary>
    /// Group <paramref name="g"/>'s results for tiles [t0, t0 + count) (tile after tile, 16 rows per
    /// token) into y; the padding rows of the last group and the tokens past the last are dropped.
    /// </summary>
    private void Scatter(int g, int t0, int count, float* results)
    {
        nint yStride = _w.Rows;
        var row0 = g * QuantizedRowGroups.GroupRows;
        var rows = Math.Min(AmxInt8Kernel.Rows, _w.Rows - row0);
        var first = t0 * AmxInt8Kernel.Tokens;
        var tokens = Math.Min(count * AmxInt8Kernel.Tokens, _n - first);
        for (var t = 0; t < tokens; t++)
        {
            var source = results + (t * AmxInt8Kernel.Rows);
            var destination = _y + ((first + t) * yStride) + row0;
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
