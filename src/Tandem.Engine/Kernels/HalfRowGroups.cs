using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>
/// BF16 and F16 matrices held in groups of 16 rows with each pair of columns interleaved: the layout
/// the outer-product kernels of <see cref="HalfGroupTiles"/> read, one 64-byte line per column pair.
/// <code>
///   group g (rows 16g .. 16g+15), Pairs = ceil(Cols / 2) lines of 64 bytes, groups back to back:
///   line j, lane r (a little-endian uint) = w[16g + r, 2j]  |  w[16g + r, 2j + 1] &lt;&lt; 16
///   a missing column (Cols odd) or row (Rows not a multiple of 16) is a zero
///   decode (<see cref="IHalfPairs"/>): the low halves = the 16 rows' column 2j in fp32, the high halves = column 2j + 1
///   BF16: lanes &lt;&lt; 16 and lanes &amp; 0xFFFF0000; F16: widened exactly with integer ops and one multiply
/// </code>
/// The canonical order of a product with such a matrix (every batch, tile and thread count):
/// for each (row, token) one fp32 accumulator, from zero, <c>acc = fma(w[r, k], x[k], acc)</c> for
/// k = 0, 1, 2, … in turn (a padded column adds 0·0). <see cref="Scalar"/> is that definition.
/// </summary>
public static unsafe class HalfRowGroups
{
    public const int GroupRows = 16;

    public const int LineBytes = 64;

    public static int Groups(int rows) => (rows + GroupRows - 1) / GroupRows;

    public static int Pairs(int cols) => (cols + 1) / 2;

    /// <summary>Bytes of one group of 16 rows.</summary>
    public static long GroupBytes(int cols) => (long)Pairs(cols) * LineBytes;

    public static long Bytes(int rows, int cols) => Groups(rows) * GroupBytes(cols);

    /// <summary>
    /// Lays out the row-major BF16 or F16 matrix <paramref name="m"/> in row groups at <paramref name="destination"/>
    /// (<see cref="Bytes"/> bytes) and returns the matrix that reads them.
    /// </summary>
    public static WeightMatrix Pack(in WeightMatrix m, byte* destination)
    {
        if (m.DType is not (DType.BF16 or DType.F16) || m.AmxTiles || m.HalfGroups)
        {
            throw new ArgumentException($"row groups are made from row-major BF16 or F16 rows, not {m.DType}{(m.AmxTiles ? " on AMX tiles" : m.HalfGroups ? " in row groups" : "")}", nameof(m));
        }

        var source = m.Data;
        int rows = m.Rows, cols = m.Cols;
        var rowBytes = m.RowBytes;
        var groupBytes = GroupBytes(cols);
        var pairs = Pairs(cols);
        var full = cols / 2;
        Parallel.For(0, Groups(rows), g =>
        {
            var group = (uint*)(destination + (g * groupBytes));
            for (var r = 0; r < GroupRows; r++)
            {
                var row = (16 * g) + r;
                var lane = group + r;
                if (row >= rows)
                {
                    for (var j = 0; j < pairs; j++)
                    {
                        lane[j * 16] = 0;
                    }

                    continue;
                }

                var stored = (uint*)(source + (row * rowBytes));
                for (var j = 0; j < full; j++)
                {
                    lane[j * 16] = stored[j];
                }

                if (full < pairs)
                {
                    lane[full * 16] = ((ushort*)stored)[cols - 1];
                }
            }
        });
        return WeightMatrix.InHalfGroups(destination, m.DType, rows, cols);
    }

    /// <summary>Row <paramref name="row"/> of a matrix in row groups, as fp32.</summary>
    public static void ToFloat(in WeightMatrix w, int row, Span<float> destination)
    {
        var lane = (uint*)(w.Data + (row / GroupRows * GroupBytes(w.Cols))) + (row % GroupRows);
        for (var k = 0; k < w.Cols; k++)
        {
            destination[k] = Widen(w.DType, (ushort)(lane[k / 2 * 16] >> (16 * (k % 2))));
        }
    }

    /// <summary>The canonical order without vectors: one row times one token's x (Cols values).</summary>
    public static float Scalar(in WeightMatrix w, int row, ReadOnlySpan<float> x)
    {
        var lane = (uint*)(w.Data + (row / GroupRows * GroupBytes(w.Cols))) + (row % GroupRows);
        var acc = 0f;
        for (var j = 0; j < Pairs(w.Cols); j++)
        {
            var pair = lane[j * 16];
            var odd = (2 * j) + 1 < w.Cols ? x[(2 * j) + 1] : 0f;
            acc = MathF.FusedMultiplyAdd(Widen(w.DType, (ushort)pair), x[2 * j], acc);
            acc = MathF.FusedMultiplyAdd(Widen(w.DType, (ushort)(pair >> 16)), odd, acc);
        }

        return acc;
    }

    private static float Widen(DType dtype, ushort bits) => dtype == DType.F16
        ? (float)BitConverter.UInt16BitsToHalf(bits)
        : BitConverter.UInt32BitsToSingle((uint)bits << 16);
}

/// <summary>Turns one 64-byte line of a row group into the 16 rows' values of its two columns, in fp32.</summary>
internal unsafe interface IHalfPairs
{
    static abstract void Decode(byte* line, out Vector512<float> even, out Vector512<float> odd);
}

/// <summary>BF16 pairs: two integer ops a line.</summary>
internal readonly unsafe struct Bf16Pairs : IHalfPairs
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* line, out Vector512<float> even, out Vector512<float> odd)
    {
        var pairs = Vector512.Load((uint*)line);
        even = (pairs << 16).AsSingle();
        odd = (pairs & Vector512.Create(0xFFFF_0000u)).AsSingle();
    }
}

/// <summary>
/// F16 pairs, widened exactly without F16C (which .NET does not expose): a half's exponent and
/// mantissa moved into fp32's places make the float 2^-112 times its value, for subnormal halves
/// too, so one multiply by 2^112 gives it; exponent 31 (infinity, NaN) gets fp32's all-ones
/// exponent; the sign is or-ed back.
/// </summary>
internal readonly unsafe struct F16Pairs : IHalfPairs
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* line, out Vector512<float> even, out Vector512<float> odd)
    {
        var pairs = Vector512.Load((uint*)line);
        even = Widen((pairs & Vector512.Create(0x7FFFu)) << 13, (pairs << 16) & Vector512.Create(0x8000_0000u));
        odd = Widen((pairs & Vector512.Create(0x7FFF_0000u)) >> 3, pairs & Vector512.Create(0x8000_0000u));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(Vector512<uint> magnitude, Vector512<uint> sign)
    {
        var value = (magnitude.AsSingle() * Vector512.Create(0x7780_0000u).AsSingle()).AsUInt32();
        var special = Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(0x0F80_0000u)) & Vector512.Create(0x7F80_0000u);
        return (value | special | sign).AsSingle();
    }
}
