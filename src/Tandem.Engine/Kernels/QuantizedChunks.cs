using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels;

/// <summary>
/// Q8_0 rows (GGUF blocks of 34 bytes: fp16 scale d, then 32 int8 q): a chunk is one block,
/// A = elements 0..15, B = elements 16..31 (x packs as for fp32), element = (float)q · (float)d,
/// one rounding, exactly what <see cref="Gguf.GgufDequantizer"/> produces.
/// </summary>
internal readonly unsafe struct Q8Chunks : IChunkDecoder
{
    public static int ChunkBytes => 34;

    /// <summary>Unused: a Q8_0 row is whole blocks, so there is never a partial last chunk.</summary>
    public static int ElementBytes => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* chunk, out Vector512<float> a, out Vector512<float> b)
    {
        var d = Vector512.Create(QuantizedScale.Read(chunk));
        if (Avx512F.IsSupported)
        {
            var q = (sbyte*)(chunk + 2);
            a = Avx512F.Multiply(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q))), d);
            b = Avx512F.Multiply(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(q + 16))), d);
            return;
        }

        var values = stackalloc float[32];
        for (var j = 0; j < 32; j++)
        {
            values[j] = ((sbyte*)(chunk + 2))[j];
        }

        a = Vector512.Load(values) * d;
        b = Vector512.Load(values + 16) * d;
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
internal readonly unsafe struct Q4Chunks : IChunkDecoder
{
    public static int ChunkBytes => 18;

    /// <summary>Unused: a Q4_0 row is whole blocks, so there is never a partial last chunk.</summary>
    public static int ElementBytes => 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode(byte* chunk, out Vector512<float> a, out Vector512<float> b)
    {
        var d = Vector512.Create(QuantizedScale.Read(chunk));
        if (Avx512F.IsSupported)
        {
            var bytes = Avx512F.ConvertToVector512Int32(Vector128.Load(chunk + 2));
            var eight = Vector512.Create(8);
            var low = Avx512F.Subtract(Avx512F.And(bytes, Vector512.Create(0xF)), eight);
            var high = Avx512F.Subtract(Avx512F.ShiftRightLogical(bytes, 4), eight);
            a = Avx512F.Multiply(Avx512F.ConvertToVector512Single(low), d);
            b = Avx512F.Multiply(Avx512F.ConvertToVector512Single(high), d);
            return;
        }

        var values = stackalloc float[32];
        for (var j = 0; j < 16; j++)
        {
            values[j] = (chunk[2 + j] & 0xF) - 8;
            values[16 + j] = (chunk[2 + j] >> 4) - 8;
        }

        a = Vector512.Load(values) * d;
        b = Vector512.Load(values + 16) * d;
    }

    public static float ScalarA(byte* chunk, int lane) => (float)((chunk[2 + lane] & 0xF) - 8) * QuantizedScale.Read(chunk);

    public static float ScalarB(byte* chunk, int lane) => (float)((chunk[2 + lane] >> 4) - 8) * QuantizedScale.Read(chunk);

    public static void PackX(float* x, float* packed) => F32Chunks.PackX(x, packed);

    public static void PackXTail(float* x, int count, float* packed) => F32Chunks.PackXTail(x, count, packed);
}

/// <summary>The fp16 scale d that starts every Q8_0 and Q4_0 block, widened exactly to fp32.</summary>
internal static unsafe class QuantizedScale
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Read(byte* block) => (float)Unsafe.ReadUnaligned<Half>(block);
}
