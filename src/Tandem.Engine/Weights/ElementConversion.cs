using System.Runtime.InteropServices;
using Tandem.Engine.Kernels;

namespace Tandem.Engine.Weights;

/// <summary>Conversions between fp32 and the stored element types F16 and BF16 (BF16 through <see cref="BFloat16"/>).</summary>
public static class ElementConversion
{
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
                BFloat16.ToSingle(MemoryMarshal.Cast<byte, ushort>(source), destination);
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
                BFloat16.FromSingle(source, MemoryMarshal.Cast<byte, ushort>(destination));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null);
        }
    }
}
