using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels;

/// <summary>
/// The canonical order of <see cref="DotTiles"/> on AVX2 + FMA, for CPUs without AVX-512 (Zen 2/3,
/// Intel client cores): each 16-lane accumulator is two 256-bit halves, lanes 0–7 and 8–15, and
/// every lane runs the same chain as its Vector512 twin, <c>acc = fma(B, xB, fma(A, xA, acc))</c>
/// per 32-element chunk; <see cref="Sum"/> adds the halves as the 512-bit sum does. So results are
/// bit for bit those of the 512-bit tiles and of <see cref="DotTiles.Scalar"/>, on any CPU.
/// </summary>
/// <remarks>
/// Sixteen 256-bit registers shape the tiles: one row × four tokens for prompts and batches (eight
/// accumulators, the row decoded once for the four, x read from L1 as memory operands), four rows ×
/// one token for decoding (eight accumulators and x's four vectors in registers), one row × one token
/// for leftover rows. Arguments as in <see cref="DotTiles"/>.
/// </remarks>
[SkipLocalsInit]
internal static unsafe class DotTiles256
{
    /// <summary>How far ahead of the current chunk the matrix-vector kernel prefetches each row.</summary>
    private const int PrefetchBytes = 1024;

    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Chunks [<paramref name="chunk0"/>, chunk0 + count) of one row × four tokens. The accumulators (64
    /// floats at <paramref name="acc"/>, token t's 16 lanes at 16·t) start at zero when chunk0 is 0, else
    /// they are read from there; when the range ends the row they are summed into y, else written back
    /// (storing and reloading is exact). Each chunk step also prefetches one 64-byte line from
    /// <paramref name="prefetch"/> (advanced) until <paramref name="prefetchEnd"/>: the caller's next weights.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x4<T>(byte* w, int cols, int chunk0, int count, float* x, nint xStride, float* acc, float* y, nint yStride, ref byte* prefetch, byte* prefetchEnd)
        where T : IChunkDecoder
    {
        var full = cols / 32;
        var tailBytes = cols % 32 * T.ElementBytes;
        var end = chunk0 + count;
        var tail = stackalloc byte[128];
        if (end > full)
        {
            DotTiles.PadTail(w + (full * T.ChunkBytes), tail, tailBytes);
        }

        var p = w + ((nint)chunk0 * T.ChunkBytes);
        var q = x + (chunk0 * 32);
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31;
        if (chunk0 == 0)
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = Vector256<float>.Zero;
        }
        else
        {
            c00 = Vector256.Load(acc); c01 = Vector256.Load(acc + 8);
            c10 = Vector256.Load(acc + 16); c11 = Vector256.Load(acc + 24);
            c20 = Vector256.Load(acc + 32); c21 = Vector256.Load(acc + 40);
            c30 = Vector256.Load(acc + 48); c31 = Vector256.Load(acc + 56);
        }

        float* q1 = q + xStride, q2 = q + (2 * xStride), q3 = q + (3 * xStride);
        for (var c = chunk0; c < end; c++)
        {
            if (c == full)
            {
                p = tail;
            }

            if (prefetch < prefetchEnd)
            {
                Sse.Prefetch0(prefetch);
                prefetch += 64;
            }

            T.Decode256(p, out var a0, out var a1, out var b0, out var b1);
            (c00, c01) = Fma2(c00, c01, a0, a1, b0, b1, q);
            (c10, c11) = Fma2(c10, c11, a0, a1, b0, b1, q1);
            (c20, c21) = Fma2(c20, c21, a0, a1, b0, b1, q2);
            (c30, c31) = Fma2(c30, c31, a0, a1, b0, b1, q3);
            p += T.ChunkBytes;
            q += 32; q1 += 32; q2 += 32; q3 += 32;
        }

        if (end < full + (tailBytes != 0 ? 1 : 0))
        {
            c00.Store(acc); c01.Store(acc + 8);
            c10.Store(acc + 16); c11.Store(acc + 24);
            c20.Store(acc + 32); c21.Store(acc + 40);
            c30.Store(acc + 48); c31.Store(acc + 56);
            return;
        }

        y[0] = Sum(c00, c01);
        y[yStride] = Sum(c10, c11);
        y[2 * yStride] = Sum(c20, c21);
        y[3 * yStride] = Sum(c30, c31);
    }

    /// <summary>Four rows, one token: the matrix-vector kernel, four weight streams with prefetch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x1<T>(byte* w, nint wStride, int cols, float* x, float* y)
        where T : IChunkDecoder
    {
        var full = cols / 32;
        var tailBytes = cols % 32 * T.ElementBytes;
        var total = full + (tailBytes != 0 ? 1 : 0);
        var tail = stackalloc byte[4 * 128];
        byte* p0 = w, p1 = w + wStride, p2 = w + (2 * wStride), p3 = w + (3 * wStride);
        for (var i = 0; i < 4; i++)
        {
            DotTiles.PadTail(w + (i * wStride) + (full * T.ChunkBytes), tail + (i * 128), tailBytes);
        }

        var q = x;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (var c = 0; c < total; c++)
        {
            if (c == full)
            {
                p0 = tail; p1 = tail + 128; p2 = tail + 256; p3 = tail + 384;
            }

            Sse.Prefetch0(p0 + PrefetchBytes);
            Sse.Prefetch0(p1 + PrefetchBytes);
            Sse.Prefetch0(p2 + PrefetchBytes);
            Sse.Prefetch0(p3 + PrefetchBytes);
            var xa0 = Vector256.Load(q); var xa1 = Vector256.Load(q + 8);
            var xb0 = Vector256.Load(q + 16); var xb1 = Vector256.Load(q + 24);
            T.Decode256(p0, out var a0, out var a1, out var b0, out var b1);
            c00 = Fma.MultiplyAdd(b0, xb0, Fma.MultiplyAdd(a0, xa0, c00));
            c01 = Fma.MultiplyAdd(b1, xb1, Fma.MultiplyAdd(a1, xa1, c01));
            T.Decode256(p1, out a0, out a1, out b0, out b1);
            c10 = Fma.MultiplyAdd(b0, xb0, Fma.MultiplyAdd(a0, xa0, c10));
            c11 = Fma.MultiplyAdd(b1, xb1, Fma.MultiplyAdd(a1, xa1, c11));
            T.Decode256(p2, out a0, out a1, out b0, out b1);
            c20 = Fma.MultiplyAdd(b0, xb0, Fma.MultiplyAdd(a0, xa0, c20));
            c21 = Fma.MultiplyAdd(b1, xb1, Fma.MultiplyAdd(a1, xa1, c21));
            T.Decode256(p3, out a0, out a1, out b0, out b1);
            c30 = Fma.MultiplyAdd(b0, xb0, Fma.MultiplyAdd(a0, xa0, c30));
            c31 = Fma.MultiplyAdd(b1, xb1, Fma.MultiplyAdd(a1, xa1, c31));
            p0 += T.ChunkBytes; p1 += T.ChunkBytes; p2 += T.ChunkBytes; p3 += T.ChunkBytes;
            q += 32;
        }

        y[0] = Sum(c00, c01);
        y[1] = Sum(c10, c11);
        y[2] = Sum(c20, c21);
        y[3] = Sum(c30, c31);
    }

    /// <summary>One row, one token.</summary>
    public static float Tile1x1<T>(byte* w, int cols, float* x)
        where T : IChunkDecoder
    {
        var full = cols / 32;
        var tailBytes = cols % 32 * T.ElementBytes;
        var total = full + (tailBytes != 0 ? 1 : 0);
        var tail = stackalloc byte[128];
        DotTiles.PadTail(w + (full * T.ChunkBytes), tail, tailBytes);
        var p = w;
        var q = x;
        Vector256<float> c0 = default, c1 = default;
        for (var c = 0; c < total; c++)
        {
            if (c == full)
            {
                p = tail;
            }

            T.Decode256(p, out var a0, out var a1, out var b0, out var b1);
            (c0, c1) = Fma2(c0, c1, a0, a1, b0, b1, q);
            p += T.ChunkBytes;
            q += 32;
        }

        return Sum(c0, c1);
    }

    /// <summary>
    /// <see cref="DotTiles.Sum"/> of the 16 lanes held as halves: the 512→256-bit step is
    /// <paramref name="low"/> + <paramref name="high"/>, then 256→128 bits, then (0+2)+(1+3).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> low, Vector256<float> high)
    {
        var s8 = low + high;
        var s4 = s8.GetLower() + s8.GetUpper();
        return (s4.GetElement(0) + s4.GetElement(2)) + (s4.GetElement(1) + s4.GetElement(3));
    }

    /// <summary>One chunk of one (row, token): both halves, A then B, x read from <paramref name="q"/> (its packed chunk).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>) Fma2(Vector256<float> c0, Vector256<float> c1, Vector256<float> a0, Vector256<float> a1, Vector256<float> b0, Vector256<float> b1, float* q)
    {
        c0 = Fma.MultiplyAdd(a0, Avx.LoadVector256(q), c0);
        c1 = Fma.MultiplyAdd(a1, Avx.LoadVector256(q + 8), c1);
        c0 = Fma.MultiplyAdd(b0, Avx.LoadVector256(q + 16), c0);
        c1 = Fma.MultiplyAdd(b1, Avx.LoadVector256(q + 24), c1);
        return (c0, c1);
    }
}
