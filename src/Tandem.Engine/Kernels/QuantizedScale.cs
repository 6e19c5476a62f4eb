using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels;

/// <summary>The fp16 scale d of every Q8_0 and Q4_0 block, widened exactly to fp32.</summary>
internal static unsafe class QuantizedScale
{
    private const float TwoTo112 = 5.192296858534828e33f;

    /// <summary>fp32's sign bit and the 15 bits that an fp16 exponent and mantissa fill after the shift.</summary>
    private const int SignExponentMantissa = unchecked((int)0x8FFF_E000);

    private const int TopExponentBits = 0x7000_0000;

    /// <summary>
    /// <see cref="Read"/> of the 8 consecutive scales of a row group's block, in one vector: the same
    /// bits lane by lane, the bit operations done once for the 8 rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Read8(byte* scales)
    {
        var h = Avx2.IsSupported
            ? Avx2.ConvertToVector256Int32((short*)scales)
            : Vector256.WidenLower(Vector256.Create(Vector128.Load((short*)scales), Vector128<short>.Zero));
        var bits = (h << 13) & Vector256.Create(SignExponentMantissa);
        var finite = bits.AsSingle() * Vector256.Create(TwoTo112);
        var special = (bits | Vector256.Create(TopExponentBits)).AsSingle();
        var isSpecial = Vector256.Equals(h & Vector256.Create(0x7C00), Vector256.Create(0x7C00));
        return Vector256.ConditionalSelect(isSpecial.AsSingle(), special, finite);
    }

    /// <summary>
    /// Branch-free and call-free (the hot loops run this once per block and row; a call there made
    /// the JIT spill every accumulator around it). The fp16 bits sign-extended and shifted left by 13
    /// put its sign in fp32's sign bit and its exponent and mantissa in the low bits of fp32's
    /// exponent and mantissa fields (the three bits above them, copies of the sign, masked off):
    /// that reads as 2^-112 times the fp16 value, normal or subnormal, and the multiply by 2^112 is
    /// exact and keeps the sign. Exponent 31 (infinity, NaN) instead gets fp32's top three exponent
    /// bits set: infinity stays infinity, NaN stays NaN with its payload.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Read(byte* block)
    {
        int h = Unsafe.ReadUnaligned<short>(block);
        var bits = (h << 13) & SignExponentMantissa;
        return (h & 0x7C00) == 0x7C00 ? BitConverter.Int32BitsToSingle(bits | TopExponentBits) : BitConverter.Int32BitsToSingle(bits) * TwoTo112;
    }
}
