using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels;

/// <summary>
/// Turns one 32-element chunk of a stored weight row into two 16-lane fp32 vectors A and B.
/// Which row element lands in which lane is the decoder's choice; x is packed once per call into
/// the same order (<see cref="PackX"/>), so lane j of A always meets the x element that row
/// element meets in the math.
/// </summary>
internal unsafe interface IChunkDecoder
{
    /// <summary>Bytes of one 32-element chunk in storage.</summary>
    static abstract int ChunkBytes { get; }

    static abstract int ElementBytes { get; }

    static abstract void Decode(byte* chunk, out Vector512<float> a, out Vector512<float> b);

    /// <summary>As <see cref="Decode"/> in 256-bit halves: a0/b0 = lanes 0–7 of A/B, a1/b1 = lanes 8–15 (AVX2).</summary>
    static abstract void Decode256(byte* chunk, out Vector256<float> a0, out Vector256<float> a1, out Vector256<float> b0, out Vector256<float> b1);

    static abstract float ScalarA(byte* chunk, int lane);

    static abstract float ScalarB(byte* chunk, int lane);

    /// <summary>Writes one 32-element chunk of x in decoder order: 16 A-lane values, then 16 B-lane values.</summary>
    static abstract void PackX(float* x, float* packed);

    /// <summary>As <see cref="PackX"/> for the last, partial chunk (count &lt; 32); missing elements are 0.</summary>
    static abstract void PackXTail(float* x, int count, float* packed);
}

/// <summary>fp32 rows: A = elements 0..15 of the chunk, B = elements 16..31.</summary>
internal readonly unsafe struct F32Chunks : IChunkDecoder
{
    public static int ChunkBytes => 128;

    public static int ElementBytes => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* chunk, out Vector512<float> a, out Vector512<float> b)
    {
        a = Vector512.Load((float*)chunk);
        b = Vector512.Load((float*)chunk + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode256(byte* chunk, out Vector256<float> a0, out Vector256<float> a1, out Vector256<float> b0, out Vector256<float> b1)
    {
        a0 = Vector256.Load((float*)chunk);
        a1 = Vector256.Load((float*)chunk + 8);
        b0 = Vector256.Load((float*)chunk + 16);
        b1 = Vector256.Load((float*)chunk + 24);
    }

    public static float ScalarA(byte* chunk, int lane) => ((float*)chunk)[lane];

    public static float ScalarB(byte* chunk, int lane) => ((float*)chunk)[16 + lane];

    public static void PackX(float* x, float* packed) =>
        Buffer.MemoryCopy(x, packed, 32 * sizeof(float), 32 * sizeof(float));

    public static void PackXTail(float* x, int count, float* packed)
    {
        for (var i = 0; i < 32; i++)
        {
            packed[i] = i < count ? x[i] : 0f;
        }
    }
}

/// <summary>
/// bf16 rows read as 16 uint pairs: A = the even elements (<c>v &lt;&lt; 16</c>), B = the odd
/// elements (<c>v &amp; 0xFFFF0000</c>). Two integer ops per 16 weights, no shuffles.
/// </summary>
internal readonly unsafe struct BF16Chunks : IChunkDecoder
{
    public static int ChunkBytes => 64;

    public static int ElementBytes => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* chunk, out Vector512<float> a, out Vector512<float> b)
    {
        var pairs = Vector512.Load((uint*)chunk);
        a = (pairs << 16).AsSingle();
        b = (pairs & Vector512.Create(0xFFFF_0000u)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode256(byte* chunk, out Vector256<float> a0, out Vector256<float> a1, out Vector256<float> b0, out Vector256<float> b1)
    {
        var pairs0 = Vector256.Load((uint*)chunk);
        var pairs1 = Vector256.Load((uint*)chunk + 8);
        var high = Vector256.Create(0xFFFF_0000u);
        a0 = (pairs0 << 16).AsSingle();
        b0 = (pairs0 & high).AsSingle();
        a1 = (pairs1 << 16).AsSingle();
        b1 = (pairs1 & high).AsSingle();
    }

    public static float ScalarA(byte* chunk, int lane) => BFloat16.ToSingle(((ushort*)chunk)[2 * lane]);

    public static float ScalarB(byte* chunk, int lane) => BFloat16.ToSingle(((ushort*)chunk)[(2 * lane) + 1]);

    public static void PackX(float* x, float* packed)
    {
        if (Avx512F.IsSupported)
        {
            var lo = Avx512F.LoadVector512(x);
            var hi = Avx512F.LoadVector512(x + 16);
            var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            var odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
            Avx512F.Store(packed, Avx512F.PermuteVar16x32x2(lo, even, hi));
            Avx512F.Store(packed + 16, Avx512F.PermuteVar16x32x2(lo, odd, hi));
            return;
        }

        if (Avx2.IsSupported)
        {
            // Each 8-float load permuted to (evens | odds) by 128-bit half; halves of two loads then pair up.
            var split = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
            var v0 = Avx2.PermuteVar8x32(Avx.LoadVector256(x), split);
            var v1 = Avx2.PermuteVar8x32(Avx.LoadVector256(x + 8), split);
            var v2 = Avx2.PermuteVar8x32(Avx.LoadVector256(x + 16), split);
            var v3 = Avx2.PermuteVar8x32(Avx.LoadVector256(x + 24), split);
            Avx.Store(packed, Avx.Permute2x128(v0, v1, 0x20));
            Avx.Store(packed + 8, Avx.Permute2x128(v2, v3, 0x20));
            Avx.Store(packed + 16, Avx.Permute2x128(v0, v1, 0x31));
            Avx.Store(packed + 24, Avx.Permute2x128(v2, v3, 0x31));
            return;
        }

        for (var j = 0; j < 16; j++)
        {
            packed[j] = x[2 * j];
            packed[16 + j] = x[(2 * j) + 1];
        }
    }

    public static void PackXTail(float* x, int count, float* packed)
    {
        for (var j = 0; j < 16; j++)
        {
            packed[j] = 2 * j < count ? x[2 * j] : 0f;
            packed[16 + j] = (2 * j) + 1 < count ? x[(2 * j) + 1] : 0f;
        }
    }
}
