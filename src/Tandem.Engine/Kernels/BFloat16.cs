using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tandem.Engine.Kernels;

/// <summary>
/// bfloat16 stored as raw <see cref="ushort"/> bits (the upper half of an IEEE fp32).
/// Widening is exact; narrowing rounds to nearest, ties to even, and keeps NaN a (quiet) NaN.
/// </summary>
public static class BFloat16
{
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    public static ushort FromSingle(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000)
        {
            return (ushort)((bits >> 16) | 0x0040);
        }

        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    public static void ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("destination is shorter than source", nameof(destination));
        }

        ref var src = ref MemoryMarshal.GetReference(source);
        ref var dst = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(destination));
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= source.Length - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
            {
                var wide = Vector512.WidenLower(Vector256.LoadUnsafe(ref src, (nuint)i).ToVector512Unsafe());
                (wide << 16).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= source.Length - Vector128<ushort>.Count; i += Vector128<ushort>.Count)
            {
                var wide = Vector256.WidenLower(Vector128.LoadUnsafe(ref src, (nuint)i).ToVector256Unsafe());
                (wide << 16).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        for (; i < source.Length; i++)
        {
            Unsafe.Add(ref dst, i) = (uint)Unsafe.Add(ref src, i) << 16;
        }
    }

    public static void FromSingle(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("destination is shorter than source", nameof(destination));
        }

        ref var src = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(source));
        ref var dst = ref MemoryMarshal.GetReference(destination);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= source.Length - (2 * Vector512<uint>.Count); i += 2 * Vector512<uint>.Count)
            {
                var lower = Narrow(Vector512.LoadUnsafe(ref src, (nuint)i));
                var upper = Narrow(Vector512.LoadUnsafe(ref src, (nuint)(i + Vector512<uint>.Count)));
                Vector512.Narrow(lower, upper).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        for (; i < source.Length; i++)
        {
            Unsafe.Add(ref dst, i) = FromSingle(BitConverter.UInt32BitsToSingle(Unsafe.Add(ref src, i)));
        }
    }

    /// <summary>fp32 bits to bf16 bits in the low half of each lane, as <see cref="FromSingle(float)"/>.</summary>
    private static Vector512<uint> Narrow(Vector512<uint> bits)
    {
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
        var nan = Vector512.GreaterThan(bits & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F80_0000u));
        var quiet = (bits >> 16) | Vector512.Create(0x0040u);
        return Vector512.ConditionalSelect(nan, quiet, rounded);
    }
}
