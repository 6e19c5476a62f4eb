using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels;

/// <summary>
/// Outer-product kernels over one group of 16 F32, BF16 or F16 rows (<see cref="FloatRowGroups"/>):
/// each line gives the 16 rows' values of two columns in two vectors (an <see cref="IPairDecoder"/>
/// decodes it), and each token's x value of that column is broadcast against them, so a lane is a
/// row and one accumulator per token holds 16 rows. Every kernel runs, for each (row, token), the canonical order of <see cref="FloatRowGroups"/>
/// (<c>acc = fma(even, x[2j], acc)</c>, then <c>fma(odd, x[2j + 1], acc)</c>), so any mix of them
/// gives the same bits. The weights are decoded once per line for all the tile's tokens.
/// </summary>
/// <remarks>
/// Why this shape: with 16 tokens a line feeds 32 FMAs for one load and its decoding (BF16: two
/// integer ops; F16: a dozen integer ops and two multiplies, spare capacity beside the FMAs; F32: two loads), no
/// horizontal sums, and the group's weights stream in order. One thread, TinyLlama shapes, BF16 ×
/// 16 tokens: ~190–200 GFLOP/s with weights from memory against 126–143 for the 4×4 dot-product
/// tile over row-major rows (docs/engine.md, "Float types in row groups").
/// Arguments: <c>w</c> = the group's first line, <c>pairs</c> = lines (<see cref="FloatRowGroups.Pairs"/>),
/// <c>y</c> = the output of (the group's first row, the first token).
/// </remarks>
[SkipLocalsInit]
internal static unsafe class FloatGroupTiles
{
    /// <summary>How far ahead each stream prefetches: 64 BF16/F16 lines, about a DRAM latency of work at 16 tokens (F32: 32 lines; 64 measured no better).</summary>
    private const int PrefetchBytes = 4096;

    /// <summary>16 tokens: x holds them column-major (<c>x[k * 16 + t]</c>), y[t * yStride + lane] gets row lane of the group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tokens16<T>(byte* w, int pairs, float* x, float* y, nint yStride)
        where T : IPairDecoder
    {
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default, acc4 = default, acc5 = default, acc6 = default, acc7 = default;
        Vector512<float> acc8 = default, acc9 = default, acc10 = default, acc11 = default, acc12 = default, acc13 = default, acc14 = default, acc15 = default;
        var q = x;
        for (var j = 0; j < pairs; j++)
        {
            Prefetch<T>(w);

            T.Decode(w, out var a, out var b);
            acc0 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[0]), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[1]), acc1);
            acc2 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[2]), acc2);
            acc3 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[3]), acc3);
            acc4 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[4]), acc4);
            acc5 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[5]), acc5);
            acc6 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[6]), acc6);
            acc7 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[7]), acc7);
            acc8 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[8]), acc8);
            acc9 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[9]), acc9);
            acc10 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[10]), acc10);
            acc11 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[11]), acc11);
            acc12 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[12]), acc12);
            acc13 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[13]), acc13);
            acc14 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[14]), acc14);
            acc15 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[15]), acc15);
            acc0 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[16]), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[17]), acc1);
            acc2 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[18]), acc2);
            acc3 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[19]), acc3);
            acc4 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[20]), acc4);
            acc5 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[21]), acc5);
            acc6 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[22]), acc6);
            acc7 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[23]), acc7);
            acc8 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[24]), acc8);
            acc9 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[25]), acc9);
            acc10 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[26]), acc10);
            acc11 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[27]), acc11);
            acc12 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[28]), acc12);
            acc13 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[29]), acc13);
            acc14 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[30]), acc14);
            acc15 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[31]), acc15);
            w += T.LineBytes;
            q += 32;
        }

        acc0.Store(y);
        acc1.Store(y + (1 * yStride));
        acc2.Store(y + (2 * yStride));
        acc3.Store(y + (3 * yStride));
        acc4.Store(y + (4 * yStride));
        acc5.Store(y + (5 * yStride));
        acc6.Store(y + (6 * yStride));
        acc7.Store(y + (7 * yStride));
        acc8.Store(y + (8 * yStride));
        acc9.Store(y + (9 * yStride));
        acc10.Store(y + (10 * yStride));
        acc11.Store(y + (11 * yStride));
        acc12.Store(y + (12 * yStride));
        acc13.Store(y + (13 * yStride));
        acc14.Store(y + (14 * yStride));
        acc15.Store(y + (15 * yStride));
    }

    /// <summary>8 tokens: x holds them column-major (<c>x[k * 8 + t]</c>), y[t * yStride + lane] gets row lane of the group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tokens8<T>(byte* w, int pairs, float* x, float* y, nint yStride)
        where T : IPairDecoder
    {
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default, acc4 = default, acc5 = default, acc6 = default, acc7 = default;
        var q = x;
        for (var j = 0; j < pairs; j++)
        {
            Prefetch<T>(w);

            T.Decode(w, out var a, out var b);
            acc0 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[0]), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[1]), acc1);
            acc2 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[2]), acc2);
            acc3 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[3]), acc3);
            acc4 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[4]), acc4);
            acc5 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[5]), acc5);
            acc6 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[6]), acc6);
            acc7 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[7]), acc7);
            acc0 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[8]), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[9]), acc1);
            acc2 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[10]), acc2);
            acc3 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[11]), acc3);
            acc4 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[12]), acc4);
            acc5 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[13]), acc5);
            acc6 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[14]), acc6);
            acc7 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[15]), acc7);
            w += T.LineBytes;
            q += 16;
        }

        acc0.Store(y);
        acc1.Store(y + (1 * yStride));
        acc2.Store(y + (2 * yStride));
        acc3.Store(y + (3 * yStride));
        acc4.Store(y + (4 * yStride));
        acc5.Store(y + (5 * yStride));
        acc6.Store(y + (6 * yStride));
        acc7.Store(y + (7 * yStride));
    }

    /// <summary>4 tokens: x holds them column-major (<c>x[k * 4 + t]</c>), y[t * yStride + lane] gets row lane of the group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tokens4<T>(byte* w, int pairs, float* x, float* y, nint yStride)
        where T : IPairDecoder
    {
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var q = x;
        for (var j = 0; j < pairs; j++)
        {
            Prefetch<T>(w);

            T.Decode(w, out var a, out var b);
            acc0 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[0]), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[1]), acc1);
            acc2 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[2]), acc2);
            acc3 = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[3]), acc3);
            acc0 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[4]), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[5]), acc1);
            acc2 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[6]), acc2);
            acc3 = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[7]), acc3);
            w += T.LineBytes;
            q += 8;
        }

        acc0.Store(y);
        acc1.Store(y + (1 * yStride));
        acc2.Store(y + (2 * yStride));
        acc3.Store(y + (3 * yStride));
    }

    /// <summary>
    /// 4 tokens over two consecutive groups (<paramref name="groupBytes"/> apart; y of the second 16 floats on): eight
    /// chains instead of four, which alone wait on the FMA latency (two dependent FMAs a line).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tokens4Pair<T>(byte* w, nint groupBytes, int pairs, float* x, float* y, nint yStride)
        where T : IPairDecoder
    {
        byte* w0 = w, w1 = w + groupBytes;
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        Vector512<float> acc4 = default, acc5 = default, acc6 = default, acc7 = default;
        var q = x;
        for (var j = 0; j < pairs; j++)
        {
            Prefetch<T>(w0);
            Prefetch<T>(w1);

            T.Decode(w0, out var a, out var b);
            T.Decode(w1, out var c, out var d);
            var e0 = Vector512.Create(q[0]);
            acc0 = Avx512F.FusedMultiplyAdd(a, e0, acc0);
            acc4 = Avx512F.FusedMultiplyAdd(c, e0, acc4);
            var e1 = Vector512.Create(q[1]);
            acc1 = Avx512F.FusedMultiplyAdd(a, e1, acc1);
            acc5 = Avx512F.FusedMultiplyAdd(c, e1, acc5);
            var e2 = Vector512.Create(q[2]);
            acc2 = Avx512F.FusedMultiplyAdd(a, e2, acc2);
            acc6 = Avx512F.FusedMultiplyAdd(c, e2, acc6);
            var e3 = Vector512.Create(q[3]);
            acc3 = Avx512F.FusedMultiplyAdd(a, e3, acc3);
            acc7 = Avx512F.FusedMultiplyAdd(c, e3, acc7);
            var o0 = Vector512.Create(q[4]);
            acc0 = Avx512F.FusedMultiplyAdd(b, o0, acc0);
            acc4 = Avx512F.FusedMultiplyAdd(d, o0, acc4);
            var o1 = Vector512.Create(q[5]);
            acc1 = Avx512F.FusedMultiplyAdd(b, o1, acc1);
            acc5 = Avx512F.FusedMultiplyAdd(d, o1, acc5);
            var o2 = Vector512.Create(q[6]);
            acc2 = Avx512F.FusedMultiplyAdd(b, o2, acc2);
            acc6 = Avx512F.FusedMultiplyAdd(d, o2, acc6);
            var o3 = Vector512.Create(q[7]);
            acc3 = Avx512F.FusedMultiplyAdd(b, o3, acc3);
            acc7 = Avx512F.FusedMultiplyAdd(d, o3, acc7);
            w0 += T.LineBytes;
            w1 += T.LineBytes;
            q += 8;
        }

        acc0.Store(y + (0 * yStride));
        acc4.Store(y + (0 * yStride) + 16);
        acc1.Store(y + (1 * yStride));
        acc5.Store(y + (1 * yStride) + 16);
        acc2.Store(y + (2 * yStride));
        acc6.Store(y + (2 * yStride) + 16);
        acc3.Store(y + (3 * yStride));
        acc7.Store(y + (3 * yStride) + 16);
    }

    /// <summary>2 tokens over four consecutive groups (<paramref name="groupBytes"/> apart): four streams, eight chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tokens2Quad<T>(byte* w, nint groupBytes, int pairs, float* x, float* y, nint yStride)
        where T : IPairDecoder
    {
        byte* w0 = w, w1 = w + groupBytes, w2 = w + (2 * groupBytes), w3 = w + (3 * groupBytes);
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default, acc4 = default, acc5 = default, acc6 = default, acc7 = default;
        var q = x;
        for (var j = 0; j < pairs; j++)
        {
            Prefetch<T>(w0);
            Prefetch<T>(w1);
            Prefetch<T>(w2);
            Prefetch<T>(w3);

            var e0 = Vector512.Create(q[0]);
            var e1 = Vector512.Create(q[1]);
            var o0 = Vector512.Create(q[2]);
            var o1 = Vector512.Create(q[3]);
            T.Decode(w0, out var a, out var b);
            acc0 = Avx512F.FusedMultiplyAdd(a, e0, acc0);
            acc1 = Avx512F.FusedMultiplyAdd(a, e1, acc1);
            acc0 = Avx512F.FusedMultiplyAdd(b, o0, acc0);
            acc1 = Avx512F.FusedMultiplyAdd(b, o1, acc1);
            T.Decode(w1, out a, out b);
            acc2 = Avx512F.FusedMultiplyAdd(a, e0, acc2);
            acc3 = Avx512F.FusedMultiplyAdd(a, e1, acc3);
            acc2 = Avx512F.FusedMultiplyAdd(b, o0, acc2);
            acc3 = Avx512F.FusedMultiplyAdd(b, o1, acc3);
            T.Decode(w2, out a, out b);
            acc4 = Avx512F.FusedMultiplyAdd(a, e0, acc4);
            acc5 = Avx512F.FusedMultiplyAdd(a, e1, acc5);
            acc4 = Avx512F.FusedMultiplyAdd(b, o0, acc4);
            acc5 = Avx512F.FusedMultiplyAdd(b, o1, acc5);
            T.Decode(w3, out a, out b);
            acc6 = Avx512F.FusedMultiplyAdd(a, e0, acc6);
            acc7 = Avx512F.FusedMultiplyAdd(a, e1, acc7);
            acc6 = Avx512F.FusedMultiplyAdd(b, o0, acc6);
            acc7 = Avx512F.FusedMultiplyAdd(b, o1, acc7);
            w0 += T.LineBytes; w1 += T.LineBytes; w2 += T.LineBytes; w3 += T.LineBytes;
            q += 4;
        }

        acc0.Store(y);
        acc1.Store(y + yStride);
        acc2.Store(y + 16);
        acc3.Store(y + yStride + 16);
        acc4.Store(y + 32);
        acc5.Store(y + yStride + 32);
        acc6.Store(y + 48);
        acc7.Store(y + yStride + 48);
    }

    /// <summary>2 tokens over one group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tokens2<T>(byte* w, int pairs, float* x, float* y, nint yStride)
        where T : IPairDecoder
    {
        var w0 = w;
        Vector512<float> acc0 = default, acc1 = default;
        var q = x;
        for (var j = 0; j < pairs; j++)
        {
            Prefetch<T>(w0);

            var e0 = Vector512.Create(q[0]);
            var e1 = Vector512.Create(q[1]);
            var o0 = Vector512.Create(q[2]);
            var o1 = Vector512.Create(q[3]);
            T.Decode(w0, out var a, out var b);
            acc0 = Avx512F.FusedMultiplyAdd(a, e0, acc0);
            acc1 = Avx512F.FusedMultiplyAdd(a, e1, acc1);
            acc0 = Avx512F.FusedMultiplyAdd(b, o0, acc0);
            acc1 = Avx512F.FusedMultiplyAdd(b, o1, acc1);
            w0 += T.LineBytes;
            q += 4;
        }

        acc0.Store(y);
        acc1.Store(y + yStride);
    }

    /// <summary>One token over four consecutive groups (<paramref name="groupBytes"/> apart): four streams, four chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OneToken4<T>(byte* w, nint groupBytes, int pairs, float* x, float* y)
        where T : IPairDecoder
    {
        byte* w0 = w, w1 = w + groupBytes, w2 = w + (2 * groupBytes), w3 = w + (3 * groupBytes);
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var q = x;
        for (var j = 0; j < pairs; j++)
        {
            Prefetch<T>(w0);
            Prefetch<T>(w1);
            Prefetch<T>(w2);
            Prefetch<T>(w3);

            var xe = Vector512.Create(q[0]);
            var xo = Vector512.Create(q[1]);
            T.Decode(w0, out var a, out var b);
            acc0 = Avx512F.FusedMultiplyAdd(a, xe, acc0);
            acc0 = Avx512F.FusedMultiplyAdd(b, xo, acc0);
            T.Decode(w1, out a, out b);
            acc1 = Avx512F.FusedMultiplyAdd(a, xe, acc1);
            acc1 = Avx512F.FusedMultiplyAdd(b, xo, acc1);
            T.Decode(w2, out a, out b);
            acc2 = Avx512F.FusedMultiplyAdd(a, xe, acc2);
            acc2 = Avx512F.FusedMultiplyAdd(b, xo, acc2);
            T.Decode(w3, out a, out b);
            acc3 = Avx512F.FusedMultiplyAdd(a, xe, acc3);
            acc3 = Avx512F.FusedMultiplyAdd(b, xo, acc3);
            w0 += T.LineBytes; w1 += T.LineBytes; w2 += T.LineBytes; w3 += T.LineBytes;
            q += 2;
        }

        acc0.Store(y);
        acc1.Store(y + 16);
        acc2.Store(y + 32);
        acc3.Store(y + 48);
    }

    /// <summary>One token over one group.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void OneToken1<T>(byte* w, int pairs, float* x, float* y)
        where T : IPairDecoder
    {
        var acc = Vector512<float>.Zero;
        var q = x;
        for (var j = 0; j < pairs; j++)
        {
            Prefetch<T>(w);

            T.Decode(w, out var a, out var b);
            acc = Avx512F.FusedMultiplyAdd(a, Vector512.Create(q[0]), acc);
            acc = Avx512F.FusedMultiplyAdd(b, Vector512.Create(q[1]), acc);
            w += T.LineBytes;
            q += 2;
        }

        acc.Store(y);
    }

    /// <summary>The line <see cref="PrefetchBytes"/> ahead of <paramref name="line"/>, all of it (F32 lines are two cache lines).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch<T>(byte* line)
        where T : IPairDecoder
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(line + PrefetchBytes);
            if (T.LineBytes > 64)
            {
                Sse.Prefetch0(line + PrefetchBytes + 64);
            }
        }
    }
}
