using System.Runtime.InteropServices;

namespace Tandem.Engine.Weights;

/// <summary>Conversions between fp32 and the stored element types F16 and BF16.</summary>
public static class ElementConversion
{
    public static float BFloat16ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Round to nearest even; NaN stays NaN.</summary>
    public static ushort SingleToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }

        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>Widens <paramref name="source"/> (elements of <paramref name="dtype"/>) into <paramref name="destination"/>.</summary>
    public static void Widen(ReadOnlySpan<byte> source, DType dtype, Span<float> destination)
    {
        if (source.Length != destination.Length * dtype.ByteSize())
        {
            throw new ArgumentException($"{source.Length} bytes of {dtype} do not make {destination.Length} elements", nameof(source));
        }

        switch (dtype)
        {
            case DType.F32:
                MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                break;
            case DType.F16:
                var halves = MemoryMarshal.Cast<byte, Half>(source);
                for (var i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)halves[i];
                }

                break;
            case DType.BF16:
                var bf = MemoryMarshal.Cast<byte, ushort>(source);
                for (var i = 0; i < destination.Length; i++)
                {
                    destination[i] = BFloat16ToSingle(bf[i]);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null);
        }
    }

    /// <summary>Narrows fp32 values into <paramref name="destination"/> as elements of <paramref name="dtype"/>.</summary>
    public static void Narrow(ReadOnlySpan<float> source, DType dtype, Span<byte> destination)
    {
        if (destination.Length != source.Length * dtype.ByteSize())
        {
            throw new ArgumentException($"{destination.Length} bytes of {dtype} do not hold {source.Length} elements", nameof(destination));
        }

        switch (dtype)
        {
            case DType.F32:
                MemoryMarshal.Cast<float, byte>(source).CopyTo(destination);
                break;
            case DType.F16:
                var halves = MemoryMarshal.Cast<byte, Half>(destination);
                for (var i = 0; i < source.Length; i++)
                {
                    halves[i] = (Half)source[i];
                }

                break;
            case DType.BF16:
                var bf = MemoryMarshal.Cast<byte, ushort>(destination);
                for (var i = 0; i < source.Length; i++)
                {
                    bf[i] = SingleToBFloat16(source[i]);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null);
        }
    }
}
