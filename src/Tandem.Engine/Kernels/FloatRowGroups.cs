using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>
/// F32, BF16 and F16 matrices held in groups of 16 rows with each pair of columns interleaved: the
/// layout the outer-product kernels of <see cref="FloatGroupTiles"/> read, one line per column pair.
/// <code>
///   group g (rows 16g .. 16g+15), Pairs = ceil(Cols / 2) lines, groups back to back
///   BF16 / F16, 64-byte lines: line j, lane r (a little-endian uint) = w[16g + r, 2j] | w[16g + r, 2j + 1] &lt;&lt; 16
///   F32, 128-byte lines: line j = the 16 rows' w[·, 2j], then the 16 rows' w[·, 2j + 1]
///   a missing column (Cols odd) or row (Rows not a multiple of 16) is a zero
///   decode (<see cref="IPairDecoder"/>): two vectors, the 16 rows' column 2j and column 2j + 1 in fp32
///   (BF16: lanes &lt;&lt; 16 and lanes &amp; 0xFFFF0000; F16: widened exactly with integer ops and one multiply; F32: two loads)
/// </code>
/// The canonical order of a product with such a matrix (every batch, tile and thread count):
/// for each (row, token) one fp32 accumulator, from zero, <c>acc = fma(w[r, k], x[k], acc)</c> for
/// k = 0, 1, 2, … in turn (a padded column adds 0·0). <see cref="Scalar"/> is that definition.
/// </summary>
public static unsafe class FloatRowGroups
{
    public const int GroupRows = 16;

    /// <summary>Whether <paramref name="dtype"/> has a row-group layout here: the plain float types.</summary>
    public static bool Holds(DType dtype) => dtype is DType.F32 or DType.BF16 or DType.F16;

    /// <summary>Bytes of one line (a column pair of 16 rows).</summary>
    public static int LineBytes(DType dtype) => dtype == DType.F32 ? 128 : 64;

    public static int Groups(int rows) => (rows + GroupRows - 1) / GroupRows;

    public static int Pairs(int cols) => (cols + 1) / 2;

    /// <summary>Bytes of one group of 16 rows.</summary>
    public static long GroupBytes(DType dtype, int cols) => (long)Pairs(cols) * LineBytes(dtype);

    public static long Bytes(DType dtype, int rows, int cols) => Groups(rows) * GroupBytes(dtype, cols);

    /// <summary>
    /// Lays out the row-major F32, BF16 or F16 matrix <paramref name="m"/> in row groups at <paramref name="destination"/>
    /// (<see cref="Bytes"/> bytes) and returns the matrix that reads them.
    /// </summary>
    public static WeightMatrix Pack(in WeightMatrix m, byte* destination)
    {
        if (!Holds(m.DType) || m.AmxTiles || m.FloatGroups)
        {
            throw new ArgumentException($"row groups are made from row-major F32, BF16 or F16 rows, not {m.DType}{(m.AmxTiles ? " on AMX tiles" : m.FloatGroups ? " in row groups" : "")}", nameof(m));
        }

        var source = m.Data;
        var dtype = m.DType;
        int rows = m.Rows, cols = m.Cols;
        var rowBytes = m.RowBytes;
        var groupBytes = GroupBytes(dtype, cols);
        Parallel.For(0, Groups(rows), g =>
        {
            for (var r = 0; r < GroupRows; r++)
            {
                var row = (16 * g) + r;
                PackRow(dtype, row < rows ? source + (row * rowBytes) : null, cols, destination + (g * groupBytes), r);
            }
        });
        return WeightMatrix.InFloatGroups(destination, dtype, rows, cols);
    }

    /// <summary>Row <paramref name="row"/> of a matrix in row groups, as fp32.</summary>
    public static void ToFloat(in WeightMatrix w, int row, Span<float> destination)
    {
        var group = w.Data + (row / GroupRows * GroupBytes(w.DType, w.Cols));
        var lineBytes = LineBytes(w.DType);
        for (var k = 0; k < w.Cols; k++)
        {
            destination[k] = Element(w.DType, group + (k / 2 * lineBytes), row % GroupRows, k % 2 == 1);
        }
    }

    /// <summary>The canonical order without vectors: one row times one token's x (Cols values).</summary>
    public static float Scalar(in WeightMatrix w, int row, ReadOnlySpan<float> x)
    {
        var group = w.Data + (row / GroupRows * GroupBytes(w.DType, w.Cols));
        var lineBytes = LineBytes(w.DType);
        var lane = row % GroupRows;
        var acc = 0f;
        for (var j = 0; j < Pairs(w.Cols); j++)
        {
            var line = group + (j * lineBytes);
            var odd = (2 * j) + 1 < w.Cols ? x[(2 * j) + 1] : 0f;
            acc = MathF.FusedMultiplyAdd(Element(w.DType, line, lane, odd: false), x[2 * j], acc);
            acc = MathF.FusedMultiplyAdd(Element(w.DType, line, lane, odd: true), odd, acc);
        }

        return acc;
    }

    /// <summary>Writes one row (null: a padding row of zeros) into lane <paramref name="lane"/> of its group.</summary>
    private static void PackRow(DType dtype, byte* stored, int cols, byte* group, int lane)
    {
        var pairs = Pairs(cols);
        if (dtype == DType.F32)
        {
            var values = (float*)stored;
            var line = (float*)group + lane;
            for (var j = 0; j < pairs; j++)
            {
                line[j * 32] = stored == null ? 0f : values[2 * j];
                line[(j * 32) + 16] = stored == null || (2 * j) + 1 >= cols ? 0f : values[(2 * j) + 1];
            }

            return;
        }

        var halves = (ushort*)stored;
        var lanes = (uint*)group + lane;
        for (var j = 0; j < pairs; j++)
        {
            lanes[j * 16] = stored == null ? 0u
                : (2 * j) + 1 < cols ? ((uint*)stored)[j]
                : halves[2 * j];
        }
    }

    private static float Element(DType dtype, byte* line, int lane, bool odd) => dtype switch
    {
        DType.F32 => ((float*)line)[(odd ? 16 : 0) + lane],
        DType.F16 => (float)BitConverter.UInt16BitsToHalf((ushort)(((uint*)line)[lane] >> (odd ? 16 : 0))),
        _ => BitConverter.UInt32BitsToSingle(((uint*)line)[lane] >> (odd ? 16 : 0) << 16),
    };
}

/// <summary>Turns one line of a row group into the 16 rows' values of its two columns, in fp32.</summary>
internal unsafe interface IPairDecoder
{
    /// <summary>Bytes of a line (<see cref="FloatRowGroups.LineBytes"/>).</summary>
    static abstract int LineBytes { get; }

    static abstract void Decode(byte* line, out Vector512<float> even, out Vector512<float> odd);

    /// <summary>As <see cref="Decode"/> in 256-bit halves (AVX2): even0/odd0 = rows 0–7, even1/odd1 = rows 8–15.</summary>
    static abstract void Decode256(byte* line, out Vector256<float> even0, out Vector256<float> even1, out Vector256<float> odd0, out Vector256<float> odd1);
}

/// <summary>F32 pairs: the line holds the two columns as they are.</summary>
internal readonly unsafe struct F32Pairs : IPairDecoder
{
    public static int LineBytes => 128;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* line, out Vector512<float> even, out Vector512<float> odd)
    {
        even = Vector512.Load((float*)line);
        odd = Vector512.Load((float*)line + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode256(byte* line, out Vector256<float> even0, out Vector256<float> even1, out Vector256<float> odd0, out Vector256<float> odd1)
    {
        even0 = Vector256.Load((float*)line);
        even1 = Vector256.Load((float*)line + 8);
        odd0 = Vector256.Load((float*)line + 16);
        odd1 = Vector256.Load((float*)line + 24);
    }
}

/// <summary>BF16 pairs: two integer ops a line.</summary>
internal readonly unsafe struct Bf16Pairs : IPairDecoder
{
    public static int LineBytes => 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* line, out Vector512<float> even, out Vector512<float> odd)
    {
        var pairs = Vector512.Load((uint*)line);
        even = (pairs << 16).AsSingle();
        odd = (pairs & Vector512.Create(0xFFFF_0000u)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode256(byte* line, out Vector256<float> even0, out Vector256<float> even1, out Vector256<float> odd0, out Vector256<float> odd1)
    {
        var pairs0 = Vector256.Load((uint*)line);
        var pairs1 = Vector256.Load((uint*)line + 8);
        even0 = (pairs0 << 16).AsSingle();
        odd0 = (pairs0 & Vector256.Create(0xFFFF_0000u)).AsSingle();
        even1 = (pairs1 << 16).AsSingle();
        odd1 = (pairs1 & Vector256.Create(0xFFFF_0000u)).AsSingle();
    }
}

/// <summary>
/// F16 pairs, widened exactly without F16C (which .NET does not expose): a half's exponent and
/// mantissa moved into fp32's places make the float 2^-112 times its value, for subnormal halves
/// too, so one multiply by 2^112 gives it; exponent 31 (infinity, NaN) gets fp32's all-ones
/// exponent; the sign is or-ed back.
/// </summary>
internal readonly unsafe struct F16Pairs : IPairDecoder
{
    public static int LineBytes => 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* line, out Vector512<float> even, out Vector512<float> odd)
    {
        var pairs = Vector512.Load((uint*)line);
        even = Widen((pairs & Vector512.Create(0x7FFFu)) << 13, (pairs << 16) & Vector512.Create(0x8000_0000u));
        odd = Widen((pairs & Vector512.Create(0x7FFF_0000u)) >> 3, pairs & Vector512.Create(0x8000_0000u));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode256(byte* line, out Vector256<float> even0, out Vector256<float> even1, out Vector256<float> odd0, out Vector256<float> odd1)
    {
        var pairs0 = Vector256.Load((uint*)line);
        var pairs1 = Vector256.Load((uint*)line + 8);
        even0 = Widen((pairs0 & Vector256.Create(0x7FFFu)) << 13, (pairs0 << 16) & Vector256.Create(0x8000_0000u));
        odd0 = Widen((pairs0 & Vector256.Create(0x7FFF_0000u)) >> 3, pairs0 & Vector256.Create(0x8000_0000u));
        even1 = Widen((pairs1 & Vector256.Create(0x7FFFu)) << 13, (pairs1 << 16) & Vector256.Create(0x8000_0000u));
        odd1 = Widen((pairs1 & Vector256.Create(0x7FFF_0000u)) >> 3, pairs1 & Vector256.Create(0x8000_0000u));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Widen(Vector256<uint> magnitude, Vector256<uint> sign)
    {
        // Magnitudes stay below 2^28, so a signed compare (one vpcmpgtd; AVX2 has no unsigned one) decides exponent 31.
        var value = (magnitude.AsSingle() * Vector256.Create(0x7780_0000u).AsSingle()).AsUInt32();
        var special = Vector256.GreaterThan(magnitude.AsInt32(), Vector256.Create(0x0F7F_FFFF)).AsUInt32() & Vector256.Create(0x7F80_0000u);
        return (value | special | sign).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(Vector512<uint> magnitude, Vector512<uint> sign)
    {
        var value = (magnitude.AsSingle() * Vector512.Create(0x7780_0000u).AsSingle()).AsUInt32();
        var special = Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(0x0F80_0000u)) & Vector512.Create(0x7F80_0000u);
        return (value | special | sign).AsSingle();
    }
}
