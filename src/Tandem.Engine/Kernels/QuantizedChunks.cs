using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels;

/// <summary>
/// A chunk decoder whose chunk is a block with an fp16 scale d in its first two bytes: the
/// matrix-vector kernel reads the scales of 4 rows at once (<see cref="QuantizedScale.Read4"/>)
/// and decodes with the scale given, which yields exactly what <see cref="IChunkDecoder.Decode"/> does.
/// </summary>
internal unsafe interface IBlockDecoder : IChunkDecoder
{
    static abstract void DecodeScaled(byte* chunk, Vector512<float> d, out Vector512<float> a, out Vector512<float> b);
}

/// <summary>
/// Q8_0 rows (GGUF blocks of 34 bytes: fp16 scale d, then 32 int8 q): a chunk is one block,
/// A = elements 0..15, B = elements 16..31 (x packs as for fp32), element = (float)q · (float)d,
/// one rounding, exactly what <see cref="Gguf.GgufDequantizer"/> produces.
/// </summary>
internal readonly unsafe struct Q8Chunks : IBlockDecoder
{
    public static int ChunkBytes => 34;

    /// <summary>Unused: a Q8_0 row is whole blocks, so there is never a partial last chunk.</summary>
    public static int ElementBytes => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* chunk, out Vector512<float> a, out Vector512<float> b) => BlockDecoding.Decode<Q8Chunks>(chunk, out a, out b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DecodeScaled(byte* chunk, Vector512<float> d, out Vector512<float> a, out Vector512<float> b)
    {
        var q = (sbyte*)(chunk + 2);
        a = Avx512F.Multiply(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q))), d);
        b = Avx512F.Multiply(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q + 16))), d);
    }

    public static float ScalarA(byte* chunk, int lane) => (float)((sbyte*)(chunk + 2))[lane] * QuantizedScale.Read(chunk);

    public static float ScalarB(byte* chunk, int lane) => (float)((sbyte*)(chunk + 2))[16 + lane] * QuantizedScale.Read(chunk);

    public static void PackX(float* x, float* packed) => F32Chunks.PackX(x, packed);

    public static void PackXTail(float* x, int count, float* packed) => F32Chunks.PackXTail(x, count, packed);
}

/// <summary>
/// Q4_0 rows (GGUF blocks of 18 bytes: fp16 scale d, then 16 bytes): byte j holds element j in its
/// low nibble and element j + 16 in its high nibble, each stored + 8. So A = the low nibbles
/// (elements 0..15) and B = the high nibbles (16..31), x packs as for fp32, and
/// element = (float)(nibble − 8) · (float)d, one rounding.
/// </summary>
internal readonly unsafe struct Q4Chunks : IBlockDecoder
{
    public static int ChunkBytes => 18;

    /// <summary>Unused: a Q4_0 row is whole blocks, so there is never a partial last chunk.</summary>
    public static int ElementBytes => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* chunk, out Vector512<float> a, out Vector512<float> b) => BlockDecoding.Decode<Q4Chunks>(chunk, out a, out b);

    /// <summary>
    /// A 16-entry table of the block's values, (k − 8) · d for every nibble k (each one rounding,
    /// as (float)(n − 8) · d), looked up by vpermps, which reads only the low 4 bits of each index:
    /// the zero-extended bytes index the low nibbles as they are, and shifted right by 4 the high ones.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DecodeScaled(byte* chunk, Vector512<float> d, out Vector512<float> a, out Vector512<float> b)
    {
        var table = Avx512F.Multiply(Vector512.Create(-8f, -7f, -6f, -5f, -4f, -3f, -2f, -1f, 0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f), d);
        var bytes = Avx512F.ConvertToVector512UInt32(Vector128.Load(chunk + 2));
        a = Avx512F.PermuteVar16x32(table, bytes.AsInt32());
        b = Avx512F.PermuteVar16x32(table, Avx512F.ShiftRightLogical(bytes, 4).AsInt32());
    }

    public static float ScalarA(byte* chunk, int lane) => (float)((chunk[2 + lane] & 0xF) - 8) * QuantizedScale.Read(chunk);

    public static float ScalarB(byte* chunk, int lane) => (float)((chunk[2 + lane] >> 4) - 8) * QuantizedScale.Read(chunk);

    public static void PackX(float* x, float* packed) => F32Chunks.PackX(x, packed);

    public static void PackXTail(float* x, int count, float* packed) => F32Chunks.PackXTail(x, count, packed);
}

/// <summary>The decode every block decoder shares: its scaled vector path, or its scalar lanes where AVX-512 is missing.</summary>
internal static unsafe class BlockDecoding
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<T>(byte* chunk, out Vector512<float> a, out Vector512<float> b)
        where T : IBlockDecoder
    {
        if (Avx512F.IsSupported)
        {
            T.DecodeScaled(chunk, Vector512.Create(QuantizedScale.Read(chunk)), out a, out b);
            return;
        }

        Software<T>(chunk, out a, out b);
    }

    /// <summary>Out of line: a stackalloc would keep the JIT from inlining <see cref="Decode{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Software<T>(byte* chunk, out Vector512<float> a, out Vector512<float> b)
        where T : IBlockDecoder
    {
        var values = stackalloc float[32];
        for (var j = 0; j < 16; j++)
        {
            values[j] = T.ScalarA(chunk, j);
            values[16 + j] = T.ScalarB(chunk, j);
        }

        a = Vector512.Load(values);
        b = Vector512.Load(values + 16);
    }
}

/// <summary>The fp16 scale d that starts every Q8_0 and Q4_0 block, widened exactly to fp32.</summary>
internal static unsafe class QuantizedScale
{
    private const float TwoTo112 = 5.192296858534828e33f;

    /// <summary>
    /// Branch-free and call-free (the hot loops run this once per block and row; a call there made
    /// the JIT spill every accumulator around it): the 15 magnitude bits moved up to fp32's exponent
    /// and mantissa fields read as 2^-112 times the fp16 value, normal or subnormal, and the multiply
    /// by 2^112 is exact. Infinity and NaN (exponent 31) are selected in, NaN made quiet as <see cref="Half"/> does.
    /// </summary>
    /// <summary>
    /// <see cref="Read"/> of four blocks at once, in one vector: the same bits lane by lane, with
    /// the bit operations done once for the four rows of the matrix-vector kernel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Read4(byte* b0, byte* b1, byte* b2, byte* b3)
    {
        var h = Vector128.Create((uint)Unsafe.ReadUnaligned<ushort>(b0), Unsafe.ReadUnaligned<ushort>(b1), Unsafe.ReadUnaligned<ushort>(b2), Unsafe.ReadUnaligned<ushort>(b3));
        var shifted = (h & Vector128.Create(0x7FFFu)) << 13;
        var finite = (shifted.AsSingle() * Vector128.Create(TwoTo112)).AsUInt32();
        var mantissa = shifted & Vector128.Create(0x007F_E000u);
        var quiet = ~Vector128.Equals(mantissa, Vector128<uint>.Zero) & Vector128.Create(0x0040_0000u);
        var special = Vector128.Create(0x7F80_0000u) | mantissa | quiet;
        var isSpecial = Vector128.Equals(h & Vector128.Create(0x7C00u), Vector128.Create(0x7C00u));
        var magnitude = Vector128.ConditionalSelect(isSpecial, special, finite);
        return (magnitude | ((h & Vector128.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Read(byte* block)
    {
        var h = Unsafe.ReadUnaligned<ushort>(block);
        var shifted = (uint)(h & 0x7FFF) << 13;
        var finite = BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(shifted) * TwoTo112);
        var mantissa = shifted & 0x007F_E000u;
        var special = 0x7F80_0000u | mantissa | (mantissa != 0 ? 0x0040_0000u : 0u);
        var magnitude = (h & 0x7C00) == 0x7C00 ? special : finite;
        return BitConverter.UInt32BitsToSingle(magnitude | ((uint)(h & 0x8000) << 16));
    }
}
