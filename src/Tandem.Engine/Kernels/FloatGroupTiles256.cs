using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels;

/// <summary>
/// The outer-product kernels of <see cref="FloatGroupTiles"/> on AVX2 + FMA, for CPUs without AVX-512:
/// a group's 16 rows are two 256-bit halves (rows 0–7, 8–15), each token's x value of a column is
/// broadcast against both, and every (row, token) runs the canonical order of <see cref="FloatRowGroups"/>
/// (<c>acc = fma(even, x[2j], acc)</c>, then <c>fma(odd, x[2j + 1], acc)</c>), so results are bit for bit
/// those of the 512-bit kernels and of <see cref="FloatRowGroups.Scalar"/>.
/// </summary>
/// <remarks>
/// Sixteen 256-bit registers: four tokens take eight accumulators and the line's four decoded vectors,
/// and a line then feeds 16 FMAs for 8 broadcasts and its own loads, where the row-major 1 × 4 dot-product
/// tile (<see cref="DotTiles256"/>) needs a 32-byte load of x for every FMA. x is a token tile packed
/// column-major with <c>xColumn</c> floats a column (the tile's token count): token i of column k at
/// <c>x[k · xColumn + i]</c>, <c>x</c> pointing at the first token a kernel takes. <c>w</c> = the
/// group's first line, <c>pairs</c> = its lines, <c>y</c> = the output of (the group's first row, the first token).
/// </remarks>
[SkipLocalsInit]
internal static unsafe class FloatGroupTiles256
{
    /// <summary>How far ahead each stream prefetches, as in <see cref="FloatGroupTiles"/>.</summary>
    private const int PrefetchBytes = 4096;

    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Four tokens over one group: y[t * yStride + r] for t &lt; 4, r &lt; 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tokens4<T>(byte* w, int pairs, float* x, nint xColumn, float* y, nint yStride)
        where T : IPairDecoder
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        var even = x;
        var odd = x + xColumn;
        var step = 2 * xColumn;
        for (var j = 0; j < pairs; j++)
        {
            Prefetch<T>(w);
            T.Decode256(w, out var a0, out var a1, out var b0, out var b1);
            var e = Vector256.Create(even[0]);
            c00 = Fma.MultiplyAdd(a0, e, c00); c01 = Fma.MultiplyAdd(a1, e, c01);
            e = Vector256.Create(even[1]);
            c10 = Fma.MultiplyAdd(a0, e, c10); c11 = Fma.MultiplyAdd(a1, e, c11);
            e = Vector256.Create(even[2]);
            c20 = Fma.MultiplyAdd(a0, e, c20); c21 = Fma.MultiplyAdd(a1, e, c21);
            e = Vector256.Create(even[3]);
            c30 = Fma.MultiplyAdd(a0, e, c30); c31 = Fma.MultiplyAdd(a1, e, c31);
            var o = Vector256.Create(odd[0]);
            c00 = Fma.MultiplyAdd(b0, o, c00); c01 = Fma.MultiplyAdd(b1, o, c01);
            o = Vector256.Create(odd[1]);
            c10 = Fma.MultiplyAdd(b0, o, c10); c11 = Fma.MultiplyAdd(b1, o, c11);
            o = Vector256.Create(odd[2]);
            c20 = Fma.MultiplyAdd(b0, o, c20); c21 = Fma.MultiplyAdd(b1, o, c21);
            o = Vector256.Create(odd[3]);
            c30 = Fma.MultiplyAdd(b0, o, c30); c31 = Fma.MultiplyAdd(b1, o, c31);
            w += T.LineBytes;
            even += step;
            odd += step;
        }

        c00.Store(y); c01.Store(y + 8);
        c10.Store(y + yStride); c11.Store(y + yStride + 8);
        c20.Store(y + (2 * yStride)); c21.Store(y + (2 * yStride) + 8);
        c30.Store(y + (3 * yStride)); c31.Store(y + (3 * yStride) + 8);
    }

    /// <summary>Two tokens over one group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tokens2<T>(byte* w, int pairs, float* x, nint xColumn, float* y, nint yStride)
        where T : IPairDecoder
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        var even = x;
        var odd = x + xColumn;
        var step = 2 * xColumn;
        for (var j = 0; j < pairs; j++)
        {
            Prefetch<T>(w);
            T.Decode256(w, out var a0, out var a1, out var b0, out var b1);
            var e = Vector256.Create(even[0]);
            c00 = Fma.MultiplyAdd(a0, e, c00); c01 = Fma.MultiplyAdd(a1, e, c01);
            e = Vector256.Create(even[1]);
            c10 = Fma.MultiplyAdd(a0, e, c10); c11 = Fma.MultiplyAdd(a1, e, c11);
            var o = Vector256.Create(odd[0]);
            c00 = Fma.MultiplyAdd(b0, o, c00); c01 = Fma.MultiplyAdd(b1, o, c01);
            o = Vector256.Create(odd[1]);
            c10 = Fma.MultiplyAdd(b0, o, c10); c11 = Fma.MultiplyAdd(b1, o, c11);
            w += T.LineBytes;
            even += step;
            odd += step;
        }

        c00.Store(y); c01.Store(y + 8);
        c10.Store(y + yStride); c11.Store(y + yStride + 8);
    }

    /// <summary>One token over two groups <paramref name="groupBytes"/> apart: two weight streams, four accumulator chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OneToken2<T>(byte* w, nint groupBytes, int pairs, float* x, float* y)
        where T : IPairDecoder
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        var v = w + groupBytes;
        for (var j = 0; j < pairs; j++)
        {
            Prefetch<T>(w);
            Prefetch<T>(v);
            var e = Vector256.Create(x[2 * j]);
            var o = Vector256.Create(x[(2 * j) + 1]);
            T.Decode256(w, out var a0, out var a1, out var b0, out var b1);
            c00 = Fma.MultiplyAdd(b0, o, Fma.MultiplyAdd(a0, e, c00));
            c01 = Fma.MultiplyAdd(b1, o, Fma.MultiplyAdd(a1, e, c01));
            T.Decode256(v, out a0, out a1, out b0, out b1);
            c10 = Fma.MultiplyAdd(b0, o, Fma.MultiplyAdd(a0, e, c10));
            c11 = Fma.MultiplyAdd(b1, o, Fma.MultiplyAdd(a1, e, c11));
            w += T.LineBytes;
            v += T.LineBytes;
        }

        c00.Store(y); c01.Store(y + 8);
        c10.Store(y + 16); c11.Store(y + 24);
    }

    /// <summary>One token over one group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OneToken1<T>(byte* w, int pairs, float* x, float* y)
        where T : IPairDecoder
    {
        Vector256<float> c0 = default, c1 = default;
        for (var j = 0; j < pairs; j++)
        {
            Prefetch<T>(w);
            var e = Vector256.Create(x[2 * j]);
            var o = Vector256.Create(x[(2 * j) + 1]);
            T.Decode256(w, out var a0, out var a1, out var b0, out var b1);
            c0 = Fma.MultiplyAdd(b0, o, Fma.MultiplyAdd(a0, e, c0));
            c1 = Fma.MultiplyAdd(b1, o, Fma.MultiplyAdd(a1, e, c1));
            w += T.LineBytes;
        }

        c0.Store(y);
        c1.Store(y + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch<T>(byte* line)
        where T : IPairDecoder
    {
        Sse.Prefetch0(line + PrefetchBytes);
        if (T.LineBytes > 64)
        {
            Sse.Prefetch0(line + PrefetchBytes + 64);
        }
    }
}
