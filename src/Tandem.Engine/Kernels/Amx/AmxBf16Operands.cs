using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels.Amx;

/// <summary>
/// The token side of an AMX BF16 product. Each fp32 value x is split into three BF16 parts,
/// x = h + m + l exactly (h = x rounded to BF16, m = the rest rounded, l = what is left; 3 × 8
/// significand bits hold fp32's 24, for |x| above ~1e-33), so that the tiles multiply BF16 weights
/// by the activations without rounding them: every product w·h, w·m, w·l is exact in fp32. What
/// differs from the AVX-512 kernels is only the order of the additions, which the hardware fixes
/// per output element whatever the other tokens and rows (tested: every token's result equals its
/// result alone, bit for bit).
/// </summary>
/// <remarks>
/// Layout of a group of g ≤ 5 tokens (the A operand of TDPBF16PS, one tile per step): step s is 16
/// rows of 64 bytes; row 3t + p holds part p (h, m, l) of token t's columns 32s..32s + 31 as BF16, in
/// order; rows 3g..15 are unused.
/// <code>
///   step 0: [t0.h × 32][t0.m × 32][t0.l × 32][t1.h × 32] … [t4.l × 32][unused]   step 1: …
/// </code>
/// NaN stays NaN (quieted); a value within half a BF16 step of float's largest becomes infinite.
/// </remarks>
internal static unsafe class AmxBf16Operands
{
    /// <summary>Bytes of one tile row.</summary>
    public const int RowBytes = 64;

    /// <summary>Bytes of one step (32 columns) of a group: a whole 16-row tile.</summary>
    public const int StepBytes = 16 * RowBytes;

    /// <summary>
    /// Packs steps [<paramref name="firstStep"/>, <paramref name="endStep"/>) of a group of
    /// <paramref name="tokens"/> (1..5) rows of x, <paramref name="xStride"/> floats apart, into
    /// <paramref name="group"/> (<see cref="StepBytes"/> per step of the whole row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(float* x, nint xStride, int tokens, int firstStep, int endStep, byte* group)
    {
        for (var t = 0; t < tokens; t++)
        {
            var row = x + (t * xStride);
            for (var s = firstStep; s < endStep; s++)
            {
                var h = (ushort*)(group + (s * StepBytes) + (3 * t * RowBytes));
                var m = h + 32;
                var l = h + 64;
                var source = row + (s * 32);
                if (Avx512F.IsSupported)
                {
                    for (var half = 0; half < 32; half += 16)
                    {
                        SplitLanes(Vector512.Load(source + half), out var hv, out var mv, out var lv);
                        Avx512F.ConvertToVector256UInt16(hv >> 16).Store(h + half);
                        Avx512F.ConvertToVector256UInt16(mv >> 16).Store(m + half);
                        Avx512F.ConvertToVector256UInt16(lv >> 16).Store(l + half);
                    }
                }
                else
                {
                    for (var k = 0; k < 32; k++)
                    {
                        Split(source[k], out var hk, out var mk, out var lk);
                        h[k] = (ushort)hk;
                        m[k] = (ushort)mk;
                        l[k] = (ushort)lk;
                    }
                }
            }
        }
    }

    /// <summary>The three BF16 parts of <paramref name="x"/> (the definition; the vector path computes the same lane by lane).</summary>
    public static void Split(float x, out uint h, out uint m, out uint l)
    {
        var hf = RoundToBf16(x);
        var r = x - hf;
        var mf = RoundToBf16(r);
        var lf = RoundToBf16(r - mf);
        h = BitConverter.SingleToUInt32Bits(hf) >> 16;
        m = BitConverter.SingleToUInt32Bits(mf) >> 16;
        l = BitConverter.SingleToUInt32Bits(lf) >> 16;
    }

    /// <summary>Rounded values with their low 16 bits zero, lane by lane as <see cref="RoundToBf16"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitLanes(Vector512<float> x, out Vector512<uint> h, out Vector512<uint> m, out Vector512<uint> l)
    {
        var hf = RoundLanes(x);
        var r = x - hf;
        var mf = RoundLanes(r);
        var lf = RoundLanes(r - mf);
        h = hf.AsUInt32();
        m = mf.AsUInt32();
        l = lf.AsUInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> RoundLanes(Vector512<float> x)
    {
        var u = Vector512.ConditionalSelect(Vector512.IsNaN(x).AsUInt32(), Vector512.Create(0x7FC0_0000u), x.AsUInt32());
        var rounded = (u + Vector512.Create(0x7FFFu) + ((u >> 16) & Vector512<uint>.One)) & Vector512.Create(0xFFFF_0000u);
        return rounded.AsSingle();
    }

    /// <summary>x rounded to the nearest BF16, ties to even, as a float; NaN becomes the quiet NaN.</summary>
    private static float RoundToBf16(float x)
    {
        var u = float.IsNaN(x) ? 0x7FC0_0000u : BitConverter.SingleToUInt32Bits(x);
        return BitConverter.UInt32BitsToSingle((u + 0x7FFFu + ((u >> 16) & 1)) & 0xFFFF_0000u);
    }
}
