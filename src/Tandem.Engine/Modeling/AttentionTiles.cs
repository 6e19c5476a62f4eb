using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tandem.Engine.Kernels;
using X86Fma = System.Runtime.Intrinsics.X86.Fma;

namespace Tandem.Engine.Modeling;

/// <summary>
/// The arithmetic of <see cref="AttentionKernel"/>, one canonical order per value:
/// <list type="bullet">
/// <item>score(q, k) = <see cref="DotTiles.Sum"/>(acc) · scale, where one 16-lane accumulator starts
/// at zero and takes <c>acc = fma(q_c, k_c, acc)</c> for each 16-float chunk c of the head in order,
/// the last chunk zero-padded.</item>
/// <item>the softmax denominator: 16 lanes, lane l adding e_j for j ≡ l (mod 16) in position order
/// (zero-padded), then <see cref="DotTiles.Sum"/>.</item>
/// <item>output[d] = (Σ_j e_j·V_j[d] as an fma chain in position order from zero) / denominator.</item>
/// </list>
/// Tiles compute several (query, key) pairs or several (query, chunk) outputs at once, each on its
/// own accumulator in exactly that sequence; they only share loads. K and V rows are read through
/// a <c>TKv</c> (<see cref="IKvRows"/>: fp32, or bfloat16 widened exactly), so the cache's
/// dtype changes the values read, never the order.
/// </summary>
[SkipLocalsInit]
internal static unsafe class AttentionTiles
{
    /// <summary>
    /// Whether the tiles run on AVX2 (a 16-lane accumulator as two 256-bit halves, smaller tiles for sixteen
    /// registers) instead of <c>Vector512</c>, which .NET only emulates without AVX-512. The same chains
    /// either way, so the same bits: true where Vector512 is not accelerated and AVX2 and FMA are there;
    /// tests set it to run both paths.
    /// </summary>
    internal static bool UseVector256 { get; set; } = !Vector512.IsHardwareAccelerated && Avx2.IsSupported && X86Fma.IsSupported;

    /// <summary>Scores of 4 queries (padded rows <paramref name="dp"/> floats apart) against keys k0..k3; head size a multiple of 16.</summary>
    public static void Scores4x4<TKv>(float* q, int dp, byte* k0, byte* k1, byte* k2, byte* k3, int chunks, float scale, float* s, int sStride)
        where TKv : IKvRows
    {
        if (UseVector256)
        {
            Scores2x2<TKv>(q, dp, k0, k1, chunks, scale, s, sStride);
            Scores2x2<TKv>(q, dp, k2, k3, chunks, scale, s + 2, sStride);
            Scores2x2<TKv>(q + (2 * dp), dp, k0, k1, chunks, scale, s + (2 * sStride), sStride);
            Scores2x2<TKv>(q + (2 * dp), dp, k2, k3, chunks, scale, s + (2 * sStride) + 2, sStride);
            return;
        }

        Vector512<float> a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33;
        a00 = a01 = a02 = a03 = a10 = a11 = a12 = a13 = Vector512<float>.Zero;
        a20 = a21 = a22 = a23 = a30 = a31 = a32 = a33 = Vector512<float>.Zero;
        for (var c = 0; c < chunks * 16; c += 16)
        {
            var x0 = TKv.Load512(k0, c);
            var x1 = TKv.Load512(k1, c);
            var x2 = TKv.Load512(k2, c);
            var x3 = TKv.Load512(k3, c);
            var q0 = Vector512.Load(q + c);
            a00 = Fma(a00, q0, x0); a01 = Fma(a01, q0, x1); a02 = Fma(a02, q0, x2); a03 = Fma(a03, q0, x3);
            var q1 = Vector512.Load(q + dp + c);
            a10 = Fma(a10, q1, x0); a11 = Fma(a11, q1, x1); a12 = Fma(a12, q1, x2); a13 = Fma(a13, q1, x3);
            var q2 = Vector512.Load(q + (2 * dp) + c);
            a20 = Fma(a20, q2, x0); a21 = Fma(a21, q2, x1); a22 = Fma(a22, q2, x2); a23 = Fma(a23, q2, x3);
            var q3 = Vector512.Load(q + (3 * dp) + c);
            a30 = Fma(a30, q3, x0); a31 = Fma(a31, q3, x1); a32 = Fma(a32, q3, x2); a33 = Fma(a33, q3, x3);
        }

        if (Avx512F.IsSupported)
        {
            var scale8 = Vector256.Create(scale);
            Store2Rows(Sums4(a00, a01, a02, a03), Sums4(a10, a11, a12, a13), scale8, s, sStride);
            Store2Rows(Sums4(a20, a21, a22, a23), Sums4(a30, a31, a32, a33), scale8, s + (2 * sStride), sStride);
            return;
        }

        s[0] = DotTiles.Sum(a00) * scale; s[1] = DotTiles.Sum(a01) * scale; s[2] = DotTiles.Sum(a02) * scale; s[3] = DotTiles.Sum(a03) * scale;
        s += sStride;
        s[0] = DotTiles.Sum(a10) * scale; s[1] = DotTiles.Sum(a11) * scale; s[2] = DotTiles.Sum(a12) * scale; s[3] = DotTiles.Sum(a13) * scale;
        s += sStride;
        s[0] = DotTiles.Sum(a20) * scale; s[1] = DotTiles.Sum(a21) * scale; s[2] = DotTiles.Sum(a22) * scale; s[3] = DotTiles.Sum(a23) * scale;
        s += sStride;
        s[0] = DotTiles.Sum(a30) * scale; s[1] = DotTiles.Sum(a31) * scale; s[2] = DotTiles.Sum(a32) * scale; s[3] = DotTiles.Sum(a33) * scale;
    }

    /// <summary>The score of one query (zero-padded to whole chunks) against one key of <paramref name="d"/> floats.</summary>
    public static float Score<TKv>(float* q, byte* k, int d, float scale)
        where TKv : IKvRows
    {
        if (UseVector256)
        {
            return Score256<TKv>(q, k, d, scale);
        }

        var acc = Vector512<float>.Zero;
        var full = d & ~15;
        for (var c = 0; c < full; c += 16)
        {
            acc = Fma(acc, Vector512.Load(q + c), TKv.Load512(k, c));
        }

        if (full != d)
        {
            var tail = stackalloc float[16];
            Vector512<float>.Zero.Store(tail);
            for (var i = full; i < d; i++)
            {
                tail[i - full] = TKv.Get(k, i);
            }

            acc = Fma(acc, Vector512.Load(q + full), Vector512.Load(tail));
        }

        return DotTiles.Sum(acc) * scale;
    }

    /// <summary>Σ of <paramref name="n"/> weights in the canonical lane order; the row must be zero up to the next multiple of 16.</summary>
    public static float WeightSum(float* e, int n)
    {
        if (UseVector256)
        {
            Vector256<float> low = default, high = default;
            for (var j = 0; j < n; j += 16)
            {
                low += Vector256.Load(e + j);
                high += Vector256.Load(e + j + 8);
            }

            return DotTiles256.Sum(low, high);
        }

        var acc = Vector512<float>.Zero;
        for (var j = 0; j < n; j += 16)
        {
            acc += Vector512.Load(e + j);
        }

        return DotTiles.Sum(acc);
    }

    /// <summary>
    /// Chunks c..c+3 (floats 16c..16c+64) of the outputs of 4 queries: weights e rows
    /// <paramref name="eStride"/> apart, V rows <paramref name="v"/>[0..n), each output divided by its
    /// denominator and stored at o[i] + 16c.
    /// </summary>
    public static void Values4x4<TKv>(float* e, int eStride, byte** v, int n, int c, float* sums, float** o)
        where TKv : IKvRows
    {
        if (UseVector256)
        {
            for (var chunk = c; chunk < c + 4; chunk++)
            {
                Values4x1<TKv>(e, eStride, v, n, chunk, sums, o);
            }

            return;
        }

        Vector512<float> a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33;
        a00 = a01 = a02 = a03 = a10 = a11 = a12 = a13 = Vector512<float>.Zero;
        a20 = a21 = a22 = a23 = a30 = a31 = a32 = a33 = Vector512<float>.Zero;
        var offset = c * 16;
        for (var j = 0; j < n; j++)
        {
            var row = v[j];
            var x0 = TKv.Load512(row, offset);
            var x1 = TKv.Load512(row, offset + 16);
            var x2 = TKv.Load512(row, offset + 32);
            var x3 = TKv.Load512(row, offset + 48);
            var w = Vector512.Create(e[j]);
            a00 = Fma(a00, w, x0); a01 = Fma(a01, w, x1); a02 = Fma(a02, w, x2); a03 = Fma(a03, w, x3);
            w = Vector512.Create(e[eStride + j]);
            a10 = Fma(a10, w, x0); a11 = Fma(a11, w, x1); a12 = Fma(a12, w, x2); a13 = Fma(a13, w, x3);
            w = Vector512.Create(e[(2 * eStride) + j]);
            a20 = Fma(a20, w, x0); a21 = Fma(a21, w, x1); a22 = Fma(a22, w, x2); a23 = Fma(a23, w, x3);
            w = Vector512.Create(e[(3 * eStride) + j]);
            a30 = Fma(a30, w, x0); a31 = Fma(a31, w, x1); a32 = Fma(a32, w, x2); a33 = Fma(a33, w, x3);
        }

        Store4(a00, a01, a02, a03, sums[0], o[0] + offset);
        Store4(a10, a11, a12, a13, sums[1], o[1] + offset);
        Store4(a20, a21, a22, a23, sums[2], o[2] + offset);
        Store4(a30, a31, a32, a33, sums[3], o[3] + offset);
    }

    /// <summary>Chunk c of one query's output (<see cref="Values4x4"/> for one query and one chunk).</summary>
    public static void Values1x1<TKv>(float* e, byte** v, int n, int c, float sum, float* o)
        where TKv : IKvRows
    {
        if (UseVector256)
        {
            Vector256<float> low = default, high = default;
            var at = c * 16;
            for (var j = 0; j < n; j++)
            {
                var w = Vector256.Create(e[j]);
                low = X86Fma.MultiplyAdd(w, TKv.Load256(v[j], at), low);
                high = X86Fma.MultiplyAdd(w, TKv.Load256(v[j], at + 8), high);
            }

            var divisor = Vector256.Create(sum);
            (low / divisor).Store(o + at);
            (high / divisor).Store(o + at + 8);
            return;
        }

        var acc = Vector512<float>.Zero;
        var offset = c * 16;
        for (var j = 0; j < n; j++)
        {
            acc = Fma(acc, Vector512.Create(e[j]), TKv.Load512(v[j], offset));
        }

        (acc / Vector512.Create(sum)).Store(o + offset);
    }

    /// <summary>Output element <paramref name="d"/> of one query: the lane of a chunk, computed alone.</summary>
    public static void ValueElement<TKv>(float* e, byte** v, int n, int d, float sum, float* o)
        where TKv : IKvRows
    {
        var acc = 0f;
        for (var j = 0; j < n; j++)
        {
            acc = MathF.FusedMultiplyAdd(e[j], TKv.Get(v[j], d), acc);
        }

        o[d] = acc / sum;
    }

    /// <summary>Scores of 2 queries (<paramref name="dp"/> floats apart) against keys <paramref name="ka"/> and <paramref name="kb"/> on AVX2: s[0], s[1], s[sStride], s[sStride + 1].</summary>
    private static void Scores2x2<TKv>(float* q, int dp, byte* ka, byte* kb, int chunks, float scale, float* s, int sStride)
        where TKv : IKvRows
    {
        Vector256<float> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
        var q1 = q + dp;
        for (var c = 0; c < chunks * 16; c += 16)
        {
            var ka0 = TKv.Load256(ka, c);
            var ka1 = TKv.Load256(ka, c + 8);
            var kb0 = TKv.Load256(kb, c);
            var kb1 = TKv.Load256(kb, c + 8);
            var x0 = Vector256.Load(q + c);
            var x1 = Vector256.Load(q + c + 8);
            a0 = X86Fma.MultiplyAdd(x0, ka0, a0); a1 = X86Fma.MultiplyAdd(x1, ka1, a1);
            b0 = X86Fma.MultiplyAdd(x0, kb0, b0); b1 = X86Fma.MultiplyAdd(x1, kb1, b1);
            x0 = Vector256.Load(q1 + c);
            x1 = Vector256.Load(q1 + c + 8);
            c0 = X86Fma.MultiplyAdd(x0, ka0, c0); c1 = X86Fma.MultiplyAdd(x1, ka1, c1);
            d0 = X86Fma.MultiplyAdd(x0, kb0, d0); d1 = X86Fma.MultiplyAdd(x1, kb1, d1);
        }

        s[0] = DotTiles256.Sum(a0, a1) * scale;
        s[1] = DotTiles256.Sum(b0, b1) * scale;
        s[sStride] = DotTiles256.Sum(c0, c1) * scale;
        s[sStride + 1] = DotTiles256.Sum(d0, d1) * scale;
    }

    /// <summary><see cref="Score"/> on AVX2.</summary>
    private static float Score256<TKv>(float* q, byte* k, int d, float scale)
        where TKv : IKvRows
    {
        Vector256<float> low = default, high = default;
        var full = d & ~15;
        for (var c = 0; c < full; c += 16)
        {
            low = X86Fma.MultiplyAdd(Vector256.Load(q + c), TKv.Load256(k, c), low);
            high = X86Fma.MultiplyAdd(Vector256.Load(q + c + 8), TKv.Load256(k, c + 8), high);
        }

        if (full != d)
        {
            var tail = stackalloc float[16];
            new Span<float>(tail, 16).Clear();
            for (var i = full; i < d; i++)
            {
                tail[i - full] = TKv.Get(k, i);
            }

            low = X86Fma.MultiplyAdd(Vector256.Load(q + full), Vector256.Load(tail), low);
            high = X86Fma.MultiplyAdd(Vector256.Load(q + full + 8), Vector256.Load(tail + 8), high);
        }

        return DotTiles256.Sum(low, high) * scale;
    }

    /// <summary>Chunk <paramref name="c"/> (16 floats) of the outputs of 4 queries on AVX2 (<see cref="Values4x4"/> one chunk at a time).</summary>
    private static void Values4x1<TKv>(float* e, int eStride, byte** v, int n, int c, float* sums, float** o)
        where TKv : IKvRows
    {
        Vector256<float> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
        var at = c * 16;
        for (var j = 0; j < n; j++)
        {
            var row = v[j];
            var x0 = TKv.Load256(row, at);
            var x1 = TKv.Load256(row, at + 8);
            var w = Vector256.Create(e[j]);
            a0 = X86Fma.MultiplyAdd(w, x0, a0); a1 = X86Fma.MultiplyAdd(w, x1, a1);
            w = Vector256.Create(e[eStride + j]);
            b0 = X86Fma.MultiplyAdd(w, x0, b0); b1 = X86Fma.MultiplyAdd(w, x1, b1);
            w = Vector256.Create(e[(2 * eStride) + j]);
            c0 = X86Fma.MultiplyAdd(w, x0, c0); c1 = X86Fma.MultiplyAdd(w, x1, c1);
            w = Vector256.Create(e[(3 * eStride) + j]);
            d0 = X86Fma.MultiplyAdd(w, x0, d0); d1 = X86Fma.MultiplyAdd(w, x1, d1);
        }

        Store2(a0, a1, sums[0], o[0] + at);
        Store2(b0, b1, sums[1], o[1] + at);
        Store2(c0, c1, sums[2], o[2] + at);
        Store2(d0, d1, sums[3], o[3] + at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2(Vector256<float> low, Vector256<float> high, float sum, float* o)
    {
        var divisor = Vector256.Create(sum);
        (low / divisor).Store(o);
        (high / divisor).Store(o + 8);
    }

    /// <summary>
    /// The first two levels of <see cref="DotTiles.Sum"/> for 4 accumulators at once: 128-bit lane k
    /// of the result holds s4 of accumulator k, ((lane 0 + lane 2) + (lane 1 + lane 3)) of 128-bit lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sums4(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        // [a0+a2, a1+a3, b0+b2, b1+b3]: the 256-bit halves added, as Sum's first step
        var ab = Avx512F.Shuffle4x128(a, b, 0x44) + Avx512F.Shuffle4x128(a, b, 0xEE);
        var cd = Avx512F.Shuffle4x128(c, d, 0x44) + Avx512F.Shuffle4x128(c, d, 0xEE);

        // [s4(a), s4(b), s4(c), s4(d)]: the 128-bit halves of each added, as Sum's second step
        return Avx512F.Shuffle4x128(ab, cd, 0x88) + Avx512F.Shuffle4x128(ab, cd, 0xDD);
    }

    /// <summary>Sum's last step, (x0 + x2) + (x1 + x3) of each s4, for two rows of <see cref="Sums4"/>; scaled and stored as 4 scores per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store2Rows(Vector512<float> row0, Vector512<float> row1, Vector256<float> scale, float* s, int sStride)
    {
        var x01 = Avx512F.PermuteVar16x32x2(row0, Vector512.Create(0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29), row1);
        var x23 = Avx512F.PermuteVar16x32x2(row0, Vector512.Create(2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31), row1);
        var pairs = x01 + x23; // lower half x0 + x2, upper half x1 + x3
        var scores = (pairs.GetLower() + pairs.GetUpper()) * scale;
        scores.GetLower().Store(s);
        scores.GetUpper().Store(s + sStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, float sum, float* o)
    {
        var divisor = Vector512.Create(sum);
        (a0 / divisor).Store(o);
        (a1 / divisor).Store(o + 16);
        (a2 / divisor).Store(o + 32);
        (a3 / divisor).Store(o + 48);
    }

    /// <summary>acc + a·b, rounded once (the x86 form lets the JIT accumulate in place).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma(Vector512<float> acc, Vector512<float> a, Vector512<float> b) =>
        Avx512F.IsSupported ? Avx512F.FusedMultiplyAdd(a, b, acc) : Vector512.FusedMultiplyAdd(a, b, acc);
}
