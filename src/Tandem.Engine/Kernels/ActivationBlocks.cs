using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels;

/// <summary>
/// One token's activations quantized to 8 bits in blocks of 32, the way llama.cpp quantizes the
/// activations it multiplies with Q8_0 and Q4_0 weights: per block, amax = max |x|,
/// scale d = fp16(amax / 127), q = round-half-even(x · 127 / amax) (0 when amax is 0).
/// Products of these with the weights' integers are then exact in int32 (<see cref="QuantizedTiles"/>).
/// </summary>
/// <remarks>
/// Layout of one token, for a row of <c>blocks</c> blocks (64-byte aligned when the buffer is):
/// <code>
///   block b at 64·b:  q[32] (int8) │ c (int32) = −offset · Σ q │ d (fp32, an fp16 value) │ 24 bytes unused
/// </code>
/// c is the correction for weights stored unsigned (weight + offset, offset 128 for Q8_0 and 8 for
/// Q4_0): it starts the int32 accumulation, so that Σ (w + offset)·q + c = Σ w·q exactly.
/// </remarks>
[SkipLocalsInit]
internal static unsafe class ActivationBlocks
{
    public const int BlockBytes = 64;

    private const float MaxScale = 65504f;

    /// <summary>Where c is in a block.</summary>
    public const int CorrectionOffset = 32;

    /// <summary>Where d is in a block.</summary>
    public const int ScaleOffset = 36;

    /// <summary>Bytes one token takes, a multiple of 64.</summary>
    public static nint TokenBytes(int blocks) => (nint)blocks * BlockBytes;

    /// <summary>d of the block at <paramref name="block"/>.</summary>
    public static float Scale(byte* block) => *(float*)(block + ScaleOffset);

    /// <summary>c of the block at <paramref name="block"/>.</summary>
    public static int Correction(byte* block) => *(int*)(block + CorrectionOffset);

    /// <summary>Quantizes x[0, 32·blocks) into <paramref name="destination"/> (<see cref="TokenBytes"/> bytes).</summary>
    // Compiled optimized at once: at tier 0 a block took ~290 ns instead of ~30 (Tandem.Bench.Kernels, one thread).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(float* x, int blocks, int offset, byte* destination)
    {
        for (var b = 0; b < blocks; b++)
        {
            QuantizeBlock(x + (b * 32), offset, destination + (b * BlockBytes));
        }
    }

    /// <summary>The one block's q, c and d at <paramref name="block"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void QuantizeBlock(float* x, int offset, byte* block)
    {
        var q = (sbyte*)block;
        if (Avx512BW.IsSupported)
        {
            // The AVX2 path's arithmetic on two 16-lane halves; the bytes narrowed with vpmovsdb.
            var v0 = Finite(Vector512.Load(x));
            var v1 = Finite(Vector512.Load(x + 16));
            var m = Avx512F.Max(Vector512.Abs(v0), Vector512.Abs(v1));
            var amax = Largest(Avx.Max(m.GetLower(), m.GetUpper()));
            var d = Scale(amax);
            var id = Vector512.Create(InverseScale(amax, d));
            var q0 = Round(v0 * id);
            var q1 = Round(v1 * id);
            Avx512F.ConvertToVector128SByteWithSaturation(q0).Store(q);
            Avx512F.ConvertToVector128SByteWithSaturation(q1).Store(q + 16);
            *(int*)(block + CorrectionOffset) = -offset * Vector512.Sum(q0 + q1);
            *(float*)(block + ScaleOffset) = d;
            return;
        }

        if (Avx2.IsSupported)
        {
            var v0 = Finite(Vector256.Load(x));
            var v1 = Finite(Vector256.Load(x + 8));
            var v2 = Finite(Vector256.Load(x + 16));
            var v3 = Finite(Vector256.Load(x + 24));
            var m = Avx.Max(Avx.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Avx.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
            var amax = Largest(m);
            var d = Scale(amax);
            var id = Vector256.Create(InverseScale(amax, d));
            var q0 = Round(v0 * id);
            var q1 = Round(v1 * id);
            var q2 = Round(v2 * id);
            var q3 = Round(v3 * id);

            // int32 → int16 → int8 with saturation, then undo the 128-bit-lane interleave of the packs.
            var words = Avx2.PackSignedSaturate(q0, q1);
            var words2 = Avx2.PackSignedSaturate(q2, q3);
            var bytes = Avx2.PackSignedSaturate(words, words2);
            bytes = Avx2.PermuteVar8x32(bytes.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7)).AsSByte();
            bytes.Store(q);

            // c = −offset · Σ q: q · 1 summed in pairs, pairs of pairs, then across the vector.
            var pairs = Avx2.MultiplyAddAdjacent(Vector256<byte>.One, bytes);
            var quads = Avx2.MultiplyAddAdjacent(pairs, Vector256<short>.One);
            *(int*)(block + CorrectionOffset) = -offset * Vector256.Sum(quads);
            *(float*)(block + ScaleOffset) = d;
            return;
        }

        var max = 0f;
        for (var j = 0; j < 32; j++)
        {
            max = MathF.Max(max, MathF.Abs(Finite(x[j])));
        }

        var scale = Scale(max);
        var inverse = InverseScale(max, scale);
        for (var j = 0; j < 32; j++)
        {
            q[j] = (sbyte)Math.Clamp((int)MathF.Round(Finite(x[j]) * inverse, MidpointRounding.ToEven), -127, 127);
        }

        var sum = 0;
        for (var j = 0; j < 32; j++)
        {
            sum += q[j];
        }

        *(int*)(block + CorrectionOffset) = -offset * sum;
        *(float*)(block + ScaleOffset) = scale;
    }

    /// <summary>
    /// 127 / amax, or 0 for an all-zero block (<paramref name="scale"/> = <see cref="Scale(float)"/> of amax). Past
    /// fp16's range (amax / 127 &gt; 65504) the scale is capped at 65504 and the values quantize against
    /// it, saturating at ±127, rather than the block turning into infinities.
    /// </summary>
    private static float InverseScale(float amax, float scale) => amax <= 0f ? 0f : scale == MaxScale ? 1f / MaxScale : 127f / amax;

    /// <summary>amax / 127 rounded to fp16, capped at 65504: <c>min((float)(Half)(amax / 127), 65504)</c>, checked equal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Scale(float amax) => RoundToHalf(amax / 127f);

    /// <summary>
    /// A finite v ≥ 0 rounded to the nearest fp16 (ties to even) and capped at 65504, without .NET's
    /// software conversion to <see cref="Half"/> (a call per block took ~2 % of a batched decode step).
    /// Below 2^-14 fp16 is subnormal, a multiple of 2^-24: adding and taking away 0.5 rounds to that
    /// (0.5's ulp is 2^-24). Above, fp16 keeps 10 of fp32's 23 mantissa bits: the 13 dropped bits are
    /// rounded half to even into the kept ones (a carry into the exponent is right). From 65504 up,
    /// fp16 gives 65504 or infinity, and the cap makes both 65504.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float RoundToHalf(float v)
    {
        if (v < 6.103515625e-05f)
        {
            return (v + 0.5f) - 0.5f;
        }

        if (v >= MaxScale)
        {
            return MaxScale;
        }

        var bits = BitConverter.SingleToUInt32Bits(v);
        bits = (bits + 0xFFFu + ((bits >> 13) & 1u)) & ~0x1FFFu;
        return BitConverter.UInt32BitsToSingle(bits);
    }

    /// <summary>The largest of 8 non-negative lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Largest(Vector256<float> m)
    {
        var m4 = Sse.Max(m.GetLower(), m.GetUpper());
        return MathF.Max(MathF.Max(m4.GetElement(0), m4.GetElement(1)), MathF.Max(m4.GetElement(2), m4.GetElement(3)));
    }

    /// <summary>Infinities and NaN count as 0 (so one bad value does not zero or poison its whole block's scale).</summary>
    private static float Finite(float x) => float.IsFinite(x) ? x : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Finite(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.Equals(x - x, Vector512<float>.Zero), x, Vector512<float>.Zero);

    /// <summary>Round half to even, clamped to ±127, 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Round(Vector512<float> v) =>
        Avx512F.ConvertToVector512Int32(Avx512F.RoundScale(Avx512F.Max(Avx512F.Min(v, Vector512.Create(127f)), Vector512.Create(-127f)), 0x08));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Finite(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.Equals(x - x, Vector256<float>.Zero), x, Vector256<float>.Zero);

    /// <summary>Round half to even, clamped to ±127 (only a capped scale can take |v| past 127).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Round(Vector256<float> v) =>
        Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(Avx.Max(Avx.Min(v, Vector256.Create(127f)), Vector256.Create(-127f))));
}
