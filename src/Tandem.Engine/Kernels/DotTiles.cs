using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels;

/// <summary>
/// Vector512 micro-kernels computing tiles of (row, token) dot products in the canonical order.
/// Every tile shape runs, for each (row, token) pair on its own accumulator, exactly the same
/// sequence: for each 32-element chunk (the last one zero-padded)
/// <c>acc = fma(B, xB, fma(A, xA, acc))</c>, then <see cref="Sum"/>. Bigger tiles only reuse loads.
/// </summary>
/// <remarks>
/// Arguments: <c>w</c> = first row, <c>wStride</c> = bytes between rows, <c>cols</c> = row length,
/// <c>x</c> = first token's packed x, <c>xStride</c> = floats between packed tokens,
/// <c>y</c> = output of (first row, first token), <c>yStride</c> = floats between tokens in y.
/// </remarks>
[SkipLocalsInit]
internal static unsafe class DotTiles
{
    /// <summary>How far ahead of the current chunk the matrix-vector kernel prefetches each row.</summary>
    private const int PrefetchBytes = 1024;

    /// <summary>
    /// Chunks [<paramref name="chunk0"/>, chunk0 + count) of a 4-row × 4-token tile. The 16
    /// accumulators (row-major, r * 4 + t) start at zero when chunk0 is 0, else they are read from
    /// <paramref name="acc"/>; when the range ends the row they are summed into y, else written back.
    /// Storing and reloading a vector is exact, so splitting the chunks this way keeps the order.
    /// Each chunk step also prefetches one 64-byte line from <paramref name="prefetch"/> (advanced)
    /// until <paramref name="prefetchEnd"/>: the caller's next weights, fetched while these compute.
    /// </summary>
    public static void Tile4x4<T>(byte* w, nint wStride, int cols, int chunk0, int count, float* x, nint xStride, Vector512<float>* acc, float* y, nint yStride, ref byte* prefetch, byte* prefetchEnd)
        where T : IChunkDecoder
    {
        var full = cols / 32;
        var tailBytes = cols % 32 * T.ElementBytes;
        var end = chunk0 + count;
        var tail = stackalloc byte[4 * 128];
        if (end > full)
        {
            PadTails4(w, wStride, full * T.ChunkBytes, tail, tailBytes);
        }

        var offset = (nint)chunk0 * T.ChunkBytes;
        byte* p0 = w + offset, p1 = w + wStride + offset, p2 = w + (2 * wStride) + offset, p3 = w + (3 * wStride) + offset;
        var q = x + (chunk0 * 32);
        Vector512<float> acc00, acc01, acc02, acc03, acc10, acc11, acc12, acc13, acc20, acc21, acc22, acc23, acc30, acc31, acc32, acc33;
        if (chunk0 == 0)
        {
            acc00 = acc01 = acc02 = acc03 = acc10 = acc11 = acc12 = acc13 = Vector512<float>.Zero;
            acc20 = acc21 = acc22 = acc23 = acc30 = acc31 = acc32 = acc33 = Vector512<float>.Zero;
        }
        else
        {
            acc00 = acc[0]; acc01 = acc[1]; acc02 = acc[2]; acc03 = acc[3];
            acc10 = acc[4]; acc11 = acc[5]; acc12 = acc[6]; acc13 = acc[7];
            acc20 = acc[8]; acc21 = acc[9]; acc22 = acc[10]; acc23 = acc[11];
            acc30 = acc[12]; acc31 = acc[13]; acc32 = acc[14]; acc33 = acc[15];
        }

        for (var c = chunk0; c < end; c++)
        {
            if (c == full)
            {
                p0 = tail;
                p1 = tail + 128;
                p2 = tail + 256;
                p3 = tail + 384;
            }

            if (prefetch < prefetchEnd && Sse.IsSupported)
            {
                Sse.Prefetch0(prefetch);
                prefetch += 64;
            }

            var xa0 = Vector512.Load(q); var xb0 = Vector512.Load(q + 16);
            var xa1 = Vector512.Load(q + xStride); var xb1 = Vector512.Load(q + xStride + 16);
            var xa2 = Vector512.Load(q + (2 * xStride)); var xb2 = Vector512.Load(q + (2 * xStride) + 16);
            var xa3 = Vector512.Load(q + (3 * xStride)); var xb3 = Vector512.Load(q + (3 * xStride) + 16);

            T.Decode(p0, out var a, out var b);
            acc00 = Fma2(acc00, a, b, xa0, xb0); acc01 = Fma2(acc01, a, b, xa1, xb1);
            acc02 = Fma2(acc02, a, b, xa2, xb2); acc03 = Fma2(acc03, a, b, xa3, xb3);
            T.Decode(p1, out a, out b);
            acc10 = Fma2(acc10, a, b, xa0, xb0); acc11 = Fma2(acc11, a, b, xa1, xb1);
            acc12 = Fma2(acc12, a, b, xa2, xb2); acc13 = Fma2(acc13, a, b, xa3, xb3);
            T.Decode(p2, out a, out b);
            acc20 = Fma2(acc20, a, b, xa0, xb0); acc21 = Fma2(acc21, a, b, xa1, xb1);
            acc22 = Fma2(acc22, a, b, xa2, xb2); acc23 = Fma2(acc23, a, b, xa3, xb3);
            T.Decode(p3, out a, out b);
            acc30 = Fma2(acc30, a, b, xa0, xb0); acc31 = Fma2(acc31, a, b, xa1, xb1);
            acc32 = Fma2(acc32, a, b, xa2, xb2); acc33 = Fma2(acc33, a, b, xa3, xb3);

            p0 += T.ChunkBytes; p1 += T.ChunkBytes; p2 += T.ChunkBytes; p3 += T.ChunkBytes;
            q += 32;
        }

        if (end < full + (tailBytes != 0 ? 1 : 0))
        {
            acc[0] = acc00; acc[1] = acc01; acc[2] = acc02; acc[3] = acc03;
            acc[4] = acc10; acc[5] = acc11; acc[6] = acc12; acc[7] = acc13;
            acc[8] = acc20; acc[9] = acc21; acc[10] = acc22; acc[11] = acc23;
            acc[12] = acc30; acc[13] = acc31; acc[14] = acc32; acc[15] = acc33;
            return;
        }

        y[0] = Sum(acc00); y[yStride] = Sum(acc01); y[2 * yStride] = Sum(acc02); y[3 * yStride] = Sum(acc03);
        y[1] = Sum(acc10); y[1 + yStride] = Sum(acc11); y[1 + (2 * yStride)] = Sum(acc12); y[1 + (3 * yStride)] = Sum(acc13);
        y[2] = Sum(acc20); y[2 + yStride] = Sum(acc21); y[2 + (2 * yStride)] = Sum(acc22); y[2 + (3 * yStride)] = Sum(acc23);
        y[3] = Sum(acc30); y[3 + yStride] = Sum(acc31); y[3 + (2 * yStride)] = Sum(acc32); y[3 + (3 * yStride)] = Sum(acc33);
    }

    /// <summary>Four rows, one token: the matrix-vector kernel, streaming weights with prefetch.</summary>
    public static void Tile4x1<T>(byte* w, nint wStride, int cols, float* x, float* y)
        where T : IChunkDecoder
    {
        var full = cols / 32;
        var tailBytes = cols % 32 * T.ElementBytes;
        var total = full + (tailBytes != 0 ? 1 : 0);
        var tail = stackalloc byte[4 * 128];
        byte* p0 = w, p1 = w + wStride, p2 = w + (2 * wStride), p3 = w + (3 * wStride);
        PadTails4(w, wStride, full * T.ChunkBytes, tail, tailBytes);
        var q = x;
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        var acc2 = Vector512<float>.Zero;
        var acc3 = Vector512<float>.Zero;
        for (var c = 0; c < total; c++)
        {
            if (c == full)
            {
                p0 = tail;
                p1 = tail + 128;
                p2 = tail + 256;
                p3 = tail + 384;
            }

            if (Sse.IsSupported)
            {
                Sse.Prefetch0(p0 + PrefetchBytes);
                Sse.Prefetch0(p1 + PrefetchBytes);
                Sse.Prefetch0(p2 + PrefetchBytes);
                Sse.Prefetch0(p3 + PrefetchBytes);
            }

            var xa = Vector512.Load(q);
            var xb = Vector512.Load(q + 16);
            T.Decode(p0, out var a, out var b);
            acc0 = Fma2(acc0, a, b, xa, xb);
            T.Decode(p1, out a, out b);
            acc1 = Fma2(acc1, a, b, xa, xb);
            T.Decode(p2, out a, out b);
            acc2 = Fma2(acc2, a, b, xa, xb);
            T.Decode(p3, out a, out b);
            acc3 = Fma2(acc3, a, b, xa, xb);

            p0 += T.ChunkBytes; p1 += T.ChunkBytes; p2 += T.ChunkBytes; p3 += T.ChunkBytes;
            q += 32;
        }

        y[0] = Sum(acc0);
        y[1] = Sum(acc1);
        y[2] = Sum(acc2);
        y[3] = Sum(acc3);
    }

    /// <summary>
    /// Eight rows, one token: as <see cref="Tile4x1"/> with twice the rows in flight. Eight streams
    /// and eight accumulator chains per thread kept more of memory busy than four: on 2 threads the
    /// TinyLlama-shape products read 36–50 GB/s against 31–44, and BF16 batch-1 decode gained 8–12 %.
    /// </summary>
    public static void Tile8x1<T>(byte* w, nint wStride, int cols, float* x, float* y)
        where T : IChunkDecoder
    {
        var full = cols / 32;
        var tailBytes = cols % 32 * T.ElementBytes;
        var total = full + (tailBytes != 0 ? 1 : 0);
        var tail = stackalloc byte[8 * 128];
        byte* p0 = w, p1 = w + wStride, p2 = w + (2 * wStride), p3 = w + (3 * wStride);
        byte* p4 = w + (4 * wStride), p5 = w + (5 * wStride), p6 = w + (6 * wStride), p7 = w + (7 * wStride);
        PadTails4(w, wStride, full * T.ChunkBytes, tail, tailBytes);
        PadTails4(p4, wStride, full * T.ChunkBytes, tail + 512, tailBytes);
        var q = x;
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        Vector512<float> acc4 = default, acc5 = default, acc6 = default, acc7 = default;
        for (var c = 0; c < total; c++)
        {
            if (c == full)
            {
                p0 = tail; p1 = tail + 128; p2 = tail + 256; p3 = tail + 384;
                p4 = tail + 512; p5 = tail + 640; p6 = tail + 768; p7 = tail + 896;
            }

            if (Sse.IsSupported)
            {
                Sse.Prefetch0(p0 + PrefetchBytes); Sse.Prefetch0(p1 + PrefetchBytes);
                Sse.Prefetch0(p2 + PrefetchBytes); Sse.Prefetch0(p3 + PrefetchBytes);
                Sse.Prefetch0(p4 + PrefetchBytes); Sse.Prefetch0(p5 + PrefetchBytes);
                Sse.Prefetch0(p6 + PrefetchBytes); Sse.Prefetch0(p7 + PrefetchBytes);
            }

            var xa = Vector512.Load(q);
            var xb = Vector512.Load(q + 16);
            T.Decode(p0, out var a, out var b);
            acc0 = Fma2(acc0, a, b, xa, xb);
            T.Decode(p1, out a, out b);
            acc1 = Fma2(acc1, a, b, xa, xb);
            T.Decode(p2, out a, out b);
            acc2 = Fma2(acc2, a, b, xa, xb);
            T.Decode(p3, out a, out b);
            acc3 = Fma2(acc3, a, b, xa, xb);
            T.Decode(p4, out a, out b);
            acc4 = Fma2(acc4, a, b, xa, xb);
            T.Decode(p5, out a, out b);
            acc5 = Fma2(acc5, a, b, xa, xb);
            T.Decode(p6, out a, out b);
            acc6 = Fma2(acc6, a, b, xa, xb);
            T.Decode(p7, out a, out b);
            acc7 = Fma2(acc7, a, b, xa, xb);

            p0 += T.ChunkBytes; p1 += T.ChunkBytes; p2 += T.ChunkBytes; p3 += T.ChunkBytes;
            p4 += T.ChunkBytes; p5 += T.ChunkBytes; p6 += T.ChunkBytes; p7 += T.ChunkBytes;
            q += 32;
        }

        y[0] = Sum(acc0); y[1] = Sum(acc1); y[2] = Sum(acc2); y[3] = Sum(acc3);
        y[4] = Sum(acc4); y[5] = Sum(acc5); y[6] = Sum(acc6); y[7] = Sum(acc7);
    }

    public static float Tile1x1<T>(byte* w, int cols, float* x)
        where T : IChunkDecoder
    {
        var full = cols / 32;
        var tailBytes = cols % 32 * T.ElementBytes;
        var total = full + (tailBytes != 0 ? 1 : 0);
        var tail = stackalloc byte[128];
        PadTail(w + (full * T.ChunkBytes), tail, tailBytes);
        var p = w;
        var q = x;
        var acc = Vector512<float>.Zero;
        for (var c = 0; c < total; c++)
        {
            if (c == full)
            {
                p = tail;
            }

            T.Decode(p, out var a, out var b);
            acc = Fma2(acc, a, b, Vector512.Load(q), Vector512.Load(q + 16));
            p += T.ChunkBytes;
            q += 32;
        }

        return Sum(acc);
    }

    /// <summary>
    /// The canonical order without vectors: 16 scalar lanes doing what the Vector512 lanes do.
    /// Used when Vector512 is not accelerated, and by tests as the definition.
    /// </summary>
    public static float Scalar<T>(byte* w, int cols, float* x)
        where T : IChunkDecoder
    {
        var full = cols / 32;
        var tailBytes = cols % 32 * T.ElementBytes;
        var total = full + (tailBytes != 0 ? 1 : 0);
        var tail = stackalloc byte[128];
        var acc = stackalloc float[16];
        new Span<float>(acc, 16).Clear();
        PadTail(w + (full * T.ChunkBytes), tail, tailBytes);
        var p = w;
        var q = x;
        for (var c = 0; c < total; c++)
        {
            if (c == full)
            {
                p = tail;
            }

            for (var j = 0; j < 16; j++)
            {
                acc[j] = MathF.FusedMultiplyAdd(T.ScalarA(p, j), q[j], acc[j]);
                acc[j] = MathF.FusedMultiplyAdd(T.ScalarB(p, j), q[16 + j], acc[j]);
            }

            p += T.ChunkBytes;
            q += 32;
        }

        var s4 = stackalloc float[4];
        for (var j = 0; j < 4; j++)
        {
            s4[j] = (acc[j] + acc[j + 8]) + (acc[j + 4] + acc[j + 12]);
        }

        return (s4[0] + s4[2]) + (s4[1] + s4[3]);
    }

    /// <summary>The canonical horizontal sum: halves 512→256→128 bits, then (0+2)+(1+3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> v)
    {
        var s8 = v.GetLower() + v.GetUpper();
        var s4 = s8.GetLower() + s8.GetUpper();
        return (s4.GetElement(0) + s4.GetElement(2)) + (s4.GetElement(1) + s4.GetElement(3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma2(Vector512<float> acc, Vector512<float> a, Vector512<float> b, Vector512<float> xa, Vector512<float> xb)
    {
        // Two statements with the accumulator as the addend, through the x86 intrinsic: the JIT then
        // emits vfmadd231ps into the accumulator. Vector512.FusedMultiplyAdd(b, xb, fma(a, xa, acc))
        // computes the same values but made it copy a register around every second FMA (-15%).
        if (Avx512F.IsSupported)
        {
            acc = Avx512F.FusedMultiplyAdd(xa, a, acc);
            return Avx512F.FusedMultiplyAdd(xb, b, acc);
        }

        return Vector512.FusedMultiplyAdd(b, xb, Vector512.FusedMultiplyAdd(a, xa, acc));
    }

    /// <summary>Copies a row's last partial chunk (at <paramref name="source"/>) into a zeroed 128-byte buffer.</summary>
    internal static void PadTail(byte* source, byte* buffer, int bytes)
    {
        if (bytes != 0)
        {
            new Span<byte>(buffer, 128).Clear();
            Buffer.MemoryCopy(source, buffer, 128, bytes);
        }
    }

    private static void PadTails4(byte* w, nint wStride, nint offset, byte* buffer, int bytes)
    {
        for (var i = 0; i < 4; i++)
        {
            PadTail(w + (i * wStride) + offset, buffer + (i * 128), bytes);
        }
    }
}
