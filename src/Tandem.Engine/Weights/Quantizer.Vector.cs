using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tandem.Engine.Weights;

/// <summary>
/// The same blocks as the scalar reference, 8 lanes at a time (load-time quantization of a 1.1B model
/// spent ~5 s in the scalar loops). Every step is the scalar one lane by lane — the same products, the
/// same rounding written out exactly — and blocks holding an infinity or NaN, or so small that 1/d
/// overflows, go to the scalar code, so the bytes are the scalar code's (checked on random and
/// edge-case blocks in QuantizerTests).
/// </summary>
public static partial class Quantizer
{
    /// <summary><see cref="Q8_0Block"/> vectorized; false (nothing written) where it does not apply.</summary>
    internal static bool TryQ8_0BlockVector(ReadOnlySpan<float> x, Span<byte> y)
    {
        if (!Vector256.IsHardwareAccelerated || !Load(x, out var v0, out var v1, out var v2, out var v3))
        {
            return false;
        }

        var amax = MaxMagnitude(v0, v1, v2, v3);
        var d = amax / 127;
        var inverse = d != 0 ? 1f / d : 0f;
        if (!float.IsFinite(inverse))
        {
            return false;
        }

        var id = Vector256.Create(inverse);
        BinaryPrimitives.WriteHalfLittleEndian(y, (Half)d);
        var low = Vector256.Narrow(RoundHalfAway(v0 * id), RoundHalfAway(v1 * id));
        var high = Vector256.Narrow(RoundHalfAway(v2 * id), RoundHalfAway(v3 * id));
        Vector256.Narrow(low, high).AsByte().CopyTo(y[2..]);
        return true;
    }

    /// <summary><see cref="Q4_0Block"/> vectorized; false (nothing written) where it does not apply.</summary>
    internal static bool TryQ4_0BlockVector(ReadOnlySpan<float> x, Span<byte> y)
    {
        if (!Vector256.IsHardwareAccelerated || !Load(x, out var v0, out var v1, out var v2, out var v3))
        {
            return false;
        }

        // The first value of the largest magnitude, sign kept (0 for an all-zero block, as the scalar loop leaves it).
        var amax = MaxMagnitude(v0, v1, v2, v3);
        var a = Vector256.Create(amax);
        var at = Vector256.Equals(Vector256.Abs(v0), a).ExtractMostSignificantBits()
            | (Vector256.Equals(Vector256.Abs(v1), a).ExtractMostSignificantBits() << 8)
            | (Vector256.Equals(Vector256.Abs(v2), a).ExtractMostSignificantBits() << 16)
            | (Vector256.Equals(Vector256.Abs(v3), a).ExtractMostSignificantBits() << 24);
        var max = amax == 0f ? 0f : x[BitOperations.TrailingZeroCount(at)];

        var d = max / -8;
        var inverse = d != 0 ? 1f / d : 0f;
        if (!float.IsFinite(inverse))
        {
            return false;
        }

        var id = Vector256.Create(inverse);
        BinaryPrimitives.WriteHalfLittleEndian(y, (Half)d);

        // Elements j < 16 in the low nibbles, j + 16 in the high ones.
        var low0 = Nibble(v0, id);
        var low1 = Nibble(v1, id);
        var high0 = Nibble(v2, id);
        var high1 = Nibble(v3, id);
        var bytes = Vector256.Narrow(low0 | (high0 << 4), low1 | (high1 << 4));
        Vector256.Narrow(bytes.AsUInt16(), Vector256<ushort>.Zero).GetLower().CopyTo(y[2..]);
        return true;
    }

    /// <summary>The block as 4 vectors; false if any value is infinite or NaN.</summary>
    private static bool Load(ReadOnlySpan<float> x, out Vector256<float> v0, out Vector256<float> v1, out Vector256<float> v2, out Vector256<float> v3)
    {
        ref var first = ref MemoryMarshal.GetReference(x);
        v0 = Vector256.LoadUnsafe(ref first);
        v1 = Vector256.LoadUnsafe(ref first, 8);
        v2 = Vector256.LoadUnsafe(ref first, 16);
        v3 = Vector256.LoadUnsafe(ref first, 24);
        var finite = Vector256.Equals(v0 - v0, Vector256<float>.Zero) & Vector256.Equals(v1 - v1, Vector256<float>.Zero)
            & Vector256.Equals(v2 - v2, Vector256<float>.Zero) & Vector256.Equals(v3 - v3, Vector256<float>.Zero);
        return finite.AsInt32() == Vector256<int>.AllBitsSet;
    }

    private static float MaxMagnitude(Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3)
    {
        var m = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
        var max = 0f;
        for (var i = 0; i < Vector256<float>.Count; i++)
        {
            max = MathF.Max(max, m.GetElement(i));
        }

        return max;
    }

    /// <summary>MathF.Round(v, AwayFromZero) lane by lane, as int: the fraction v − trunc(v) is exact.</summary>
    private static Vector256<int> RoundHalfAway(Vector256<float> v)
    {
        var t = Vector256.Truncate(v);
        var up = Vector256.GreaterThanOrEqual(Vector256.Abs(v - t), Vector256.Create(0.5f));
        var step = Vector256.CopySign(Vector256<float>.One, v) & up;
        return Vector256.ConvertToInt32(t + step);
    }

    /// <summary>min(15, trunc(x · id + 8.5)) lane by lane: two roundings, as the scalar code does them.</summary>
    private static Vector256<int> Nibble(Vector256<float> x, Vector256<float> id) =>
        Vector256.Min(Vector256.ConvertToInt32(Vector256.Truncate((x * id) + Vector256.Create(8.5f))), Vector256.Create(15));
}
