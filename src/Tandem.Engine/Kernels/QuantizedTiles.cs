using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels;

/// <summary>
/// Dot products of Q8_0 / Q4_0 weight rows with <see cref="ActivationBlocks"/> tokens (AVX-VNNI, or AVX2),
/// every tile shape in one canonical order per (row, token), so results are batch invariant:
/// <code>
///   acc[0..8) = 0
///   for each block b:  s = d_w(b) · d_x(b)                                  (one fp32 rounding)
///                      for each lane l: i = c[l] + Σ_{j&lt;4} u[4l+j] · q[4l+j]  (exact, int32: one vpdpbusd)
///                                       acc[l] = fma((float)i, s, acc[l])
///   result = (h0 + h2) + (h1 + h3), h = acc[0..4) + acc[4..8)
/// </code>
/// u are the weights' unsigned bytes (<see cref="IQuantizedBlocks"/>), q and c the token's bytes and
/// correction, so i is exactly Σ w·q over the lane's 4 elements. This is also how llama.cpp computes
/// these blocks (8 lanes of 4 products per block, fma with the product of the two scales).
/// </summary>
/// <remarks>
/// Arguments: <c>w</c> = first row, <c>wStride</c> = bytes between rows, <c>blocks</c> = blocks per
/// row, <c>a</c> = first token's activation blocks, <c>aStride</c> = bytes between tokens,
/// <c>y</c> = output of (first row, first token), <c>yStride</c> = floats between tokens in y.
/// </remarks>
[SkipLocalsInit]
internal static unsafe class QuantizedTiles
{
    /// <summary>
    /// How far ahead the matrix-vector kernel prefetches each row: 8 KiB (past the row's end, into
    /// the rows that come next), as measured for the block types' earlier fp32 decode.
    /// </summary>
    private const int PrefetchBytes = 8192;

    /// <summary>The vector tiles need AVX2 and FMA; AVX-VNNI makes each block's integer sums one instruction.</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Four rows, one token, over all blocks: the matrix-vector kernel.</summary>
    public static void Tile4x1<T>(byte* w, nint wStride, int blocks, byte* a, float* y)
        where T : IQuantizedBlocks
    {
        var scales = ActivationBlocks.Scales(a, blocks);
        byte* p0 = w, p1 = w + wStride, p2 = w + (2 * wStride), p3 = w + (3 * wStride);
        var s = stackalloc float[4];
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (var b = 0; b < blocks; b++)
        {
            Sse.Prefetch0(p0 + PrefetchBytes);
            Sse.Prefetch0(p1 + PrefetchBytes);
            Sse.Prefetch0(p2 + PrefetchBytes);
            Sse.Prefetch0(p3 + PrefetchBytes);
            var q = Vector256.Load((sbyte*)a);
            var c = Vector256.Load((int*)(a + 32));
            (QuantizedScale.Read4(p0, p1, p2, p3) * scales[b]).Store(s);
            acc0 = Step(acc0, c, T.Load(p0), q, Vector256.Create(s[0]));
            acc1 = Step(acc1, c, T.Load(p1), q, Vector256.Create(s[1]));
            acc2 = Step(acc2, c, T.Load(p2), q, Vector256.Create(s[2]));
            acc3 = Step(acc3, c, T.Load(p3), q, Vector256.Create(s[3]));
            p0 += T.BlockBytes; p1 += T.BlockBytes; p2 += T.BlockBytes; p3 += T.BlockBytes;
            a += ActivationBlocks.BlockBytes;
        }

        y[0] = Sum(acc0);
        y[1] = Sum(acc1);
        y[2] = Sum(acc2);
        y[3] = Sum(acc3);
    }

    /// <summary>
    /// Blocks [<paramref name="block0"/>, block0 + count) of a 4-row × 4-token tile. The 16
    /// accumulators (r * 4 + t) start at zero when block0 is 0, else they are read from
    /// <paramref name="acc"/>; when the range ends the row they are summed into y, else written back
    /// (storing and reloading is exact, so splitting the blocks keeps the order).
    /// </summary>
    public static void Tile4x4<T>(byte* w, nint wStride, int blocks, int block0, int count, byte* a, nint aStride, Vector256<float>* acc, float* y, nint yStride)
        where T : IQuantizedBlocks
    {
        var end = block0 + count;
        var offset = (nint)block0 * T.BlockBytes;
        byte* p0 = w + offset, p1 = w + wStride + offset, p2 = w + (2 * wStride) + offset, p3 = w + (3 * wStride) + offset;
        float* d0 = ActivationBlocks.Scales(a, blocks), d1 = ActivationBlocks.Scales(a + aStride, blocks);
        float* d2 = ActivationBlocks.Scales(a + (2 * aStride), blocks), d3 = ActivationBlocks.Scales(a + (3 * aStride), blocks);
        var x = a + ((nint)block0 * ActivationBlocks.BlockBytes);
        var s = stackalloc float[16];
        Vector256<float> acc00, acc01, acc02, acc03, acc10, acc11, acc12, acc13, acc20, acc21, acc22, acc23, acc30, acc31, acc32, acc33;
        if (block0 == 0)
        {
            acc00 = acc01 = acc02 = acc03 = acc10 = acc11 = acc12 = acc13 = default;
            acc20 = acc21 = acc22 = acc23 = acc30 = acc31 = acc32 = acc33 = default;
        }
        else
        {
            acc00 = acc[0]; acc01 = acc[1]; acc02 = acc[2]; acc03 = acc[3];
            acc10 = acc[4]; acc11 = acc[5]; acc12 = acc[6]; acc13 = acc[7];
            acc20 = acc[8]; acc21 = acc[9]; acc22 = acc[10]; acc23 = acc[11];
            acc30 = acc[12]; acc31 = acc[13]; acc32 = acc[14]; acc33 = acc[15];
        }

        for (var b = block0; b < end; b++)
        {
            var u0 = T.Load(p0);
            var u1 = T.Load(p1);
            var u2 = T.Load(p2);
            var u3 = T.Load(p3);
            var dw = QuantizedScale.Read4(p0, p1, p2, p3);

            (dw * d0[b]).Store(s);
            (dw * d1[b]).Store(s + 4);
            (dw * d2[b]).Store(s + 8);
            (dw * d3[b]).Store(s + 12);

            var q = Vector256.Load((sbyte*)x);
            var c = Vector256.Load((int*)(x + 32));
            acc00 = Step(acc00, c, u0, q, Vector256.Create(s[0])); acc10 = Step(acc10, c, u1, q, Vector256.Create(s[1]));
            acc20 = Step(acc20, c, u2, q, Vector256.Create(s[2])); acc30 = Step(acc30, c, u3, q, Vector256.Create(s[3]));

            q = Vector256.Load((sbyte*)(x + aStride));
            c = Vector256.Load((int*)(x + aStride + 32));
            acc01 = Step(acc01, c, u0, q, Vector256.Create(s[4])); acc11 = Step(acc11, c, u1, q, Vector256.Create(s[5]));
            acc21 = Step(acc21, c, u2, q, Vector256.Create(s[6])); acc31 = Step(acc31, c, u3, q, Vector256.Create(s[7]));

            q = Vector256.Load((sbyte*)(x + (2 * aStride)));
            c = Vector256.Load((int*)(x + (2 * aStride) + 32));
            acc02 = Step(acc02, c, u0, q, Vector256.Create(s[8])); acc12 = Step(acc12, c, u1, q, Vector256.Create(s[9]));
            acc22 = Step(acc22, c, u2, q, Vector256.Create(s[10])); acc32 = Step(acc32, c, u3, q, Vector256.Create(s[11]));

            q = Vector256.Load((sbyte*)(x + (3 * aStride)));
            c = Vector256.Load((int*)(x + (3 * aStride) + 32));
            acc03 = Step(acc03, c, u0, q, Vector256.Create(s[12])); acc13 = Step(acc13, c, u1, q, Vector256.Create(s[13]));
            acc23 = Step(acc23, c, u2, q, Vector256.Create(s[14])); acc33 = Step(acc33, c, u3, q, Vector256.Create(s[15]));

            p0 += T.BlockBytes; p1 += T.BlockBytes; p2 += T.BlockBytes; p3 += T.BlockBytes;
            x += ActivationBlocks.BlockBytes;
        }

        if (end < blocks)
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

    /// <summary>One row, one token.</summary>
    public static float Tile1x1<T>(byte* w, int blocks, byte* a)
        where T : IQuantizedBlocks
    {
        var scales = ActivationBlocks.Scales(a, blocks);
        var acc = Vector256<float>.Zero;
        for (var b = 0; b < blocks; b++)
        {
            var s = Vector256.Create(QuantizedScale.Read(w) * scales[b]);
            acc = Step(acc, Vector256.Load((int*)(a + 32)), T.Load(w), Vector256.Load((sbyte*)a), s);
            w += T.BlockBytes;
            a += ActivationBlocks.BlockBytes;
        }

        return Sum(acc);
    }

    /// <summary>The canonical order in scalar code: the definition, and the path where AVX2 is missing.</summary>
    public static float Scalar<T>(byte* w, int blocks, byte* a)
        where T : IQuantizedBlocks
    {
        var scales = ActivationBlocks.Scales(a, blocks);
        var acc = stackalloc float[8];
        new Span<float>(acc, 8).Clear();
        for (var b = 0; b < blocks; b++)
        {
            var s = QuantizedScale.Read(w) * scales[b];
            var q = (sbyte*)a;
            var c = (int*)(a + 32);
            for (var l = 0; l < 8; l++)
            {
                var i = c[l];
                for (var j = 4 * l; j < (4 * l) + 4; j++)
                {
                    i += T.Unsigned(w, j) * q[j];
                }

                acc[l] = MathF.FusedMultiplyAdd(i, s, acc[l]);
            }

            w += T.BlockBytes;
            a += ActivationBlocks.BlockBytes;
        }

        float h0 = acc[0] + acc[4], h1 = acc[1] + acc[5], h2 = acc[2] + acc[6], h3 = acc[3] + acc[7];
        return (h0 + h2) + (h1 + h3);
    }

    /// <summary>
    /// One block of one (row, token): the exact int32 sums, then acc = fma(sum, s, acc). s arrives as
    /// a broadcast of one float in memory (the tiles store each block's scale products first), which
    /// the fma takes as an embedded-broadcast operand instead of a shuffle per (row, token).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(Vector256<float> acc, Vector256<int> c, Vector256<byte> u, Vector256<sbyte> q, Vector256<float> s) =>
        Fma.MultiplyAdd(Avx.ConvertToVector256Single(Dot(c, u, q)), s, acc);

    /// <summary>c[l] + Σ_{j&lt;4} u[4l+j] · q[4l+j] for the 8 lanes: vpdpbusd, exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot(Vector256<int> c, Vector256<byte> u, Vector256<sbyte> q) =>
        AvxVnni.IsSupported ? AvxVnni.MultiplyWideningAndAdd(c, u, q) : DotWithoutVnni(c, u, q);

    /// <summary>
    /// The same sums on AVX2 alone (vpmaddubsw would saturate at 255·127·2, so the bytes are widened
    /// to 16 bits first): pairs by vpmaddwd, then quads by vphaddd, whose lane order one vpermq restores.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> DotWithoutVnni(Vector256<int> c, Vector256<byte> u, Vector256<sbyte> q)
    {
        var low = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(u.GetLower()), Avx2.ConvertToVector256Int16(q.GetLower()));
        var high = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(u.GetUpper()), Avx2.ConvertToVector256Int16(q.GetUpper()));
        var quads = Avx2.HorizontalAdd(low, high);
        return Avx2.Permute4x64(quads.AsInt64(), 0b11_01_10_00).AsInt32() + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum(Vector256<float> v)
    {
        var h = v.GetLower() + v.GetUpper();
        return (h.GetElement(0) + h.GetElement(2)) + (h.GetElement(1) + h.GetElement(3));
    }
}
