using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels;

/// <summary>
/// Q8_0 / Q4_0 row groups (<see cref="QuantizedRowGroups"/>) times <see cref="ActivationBlocks"/>
/// tokens, on AVX-VNNI (or AVX2 alone: <see cref="DotSigned"/>, <see cref="DotUnsignedNibbles"/>), each (row, token) in one canonical order whatever the tile, so
/// results are batch invariant:
/// <code>
///   acc = 0
///   for each block b:  i = c(b) + Σ_{e&lt;32} u[e] · q[e]     exact in int32 (8 vpdpbusd for 8 rows)
///                      s = d_w(b) · d_x(b)                  one fp32 rounding
///                      acc = fma((float)i, s, acc)          i is exact in fp32 too (|i| &lt; 2^21)
///   result = acc
/// </code>
/// u are the weights' unsigned bytes, q, c and d_x the token's block (c = −offset · Σ q, so i is
/// exactly Σ w·q). A 256-bit register holds one quad (4 elements) of the 8 rows of a half group, and
/// the token's matching quad is broadcast to every dword, so one instruction serves 8 rows and the 8
/// fp32 lanes are the 8 rows' results: no horizontal sums, and one scale conversion and one fma per
/// block for 8 rows.
/// </summary>
/// <remarks>
/// Arguments: <c>group</c> = the group's first byte, <c>blocks</c> = blocks per row, <c>a</c> = first
/// token's activation blocks, <c>aStride</c> = bytes between tokens, <c>y</c> = output of (the group's
/// first row, first token), <c>yStride</c> = floats between tokens in y, <c>rows</c> = the group's rows
/// that exist (1..16; the padding rows of the last group are computed and not stored).
/// </remarks>
[SkipLocalsInit]
internal static unsafe class QuantizedTiles
{
    /// <summary>
    /// How far ahead the matrix-vector kernel prefetches its group's bytes: 16 blocks of a Q8_0 group (with groups of
    /// 8 rows, 16 blocks = 4 KiB beat 1, 8 and 16 KiB; for groups of 16, 8 KiB matched or beat 4 KiB in noisy runs).
    /// </summary>
    private const int PrefetchBytes = 8192;

    /// <summary>Bytes of a half group's 8 scales in a block.</summary>
    private const int HalfScaleBytes = 2 * QuantizedRowGroups.HalfRows;

    /// <summary>The vector tiles need AVX2 and FMA; AVX-VNNI makes each quad's products one instruction.</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>What runs the 256-bit tiles here, for load logs.</summary>
    public static string UnitName => AvxVnni.IsSupported ? "AVX-VNNI" : IsSupported ? "AVX2 (no AVX-VNNI: vpmaddubsw)" : "scalar code (no AVX2)";

    /// <summary>One group, one token, over all blocks: the matrix-vector kernel (both halves in one pass over the group's bytes).</summary>
    // Compiled optimized at once: at tier 0 (no inlining of the per-quad helpers) the first forward
    // pass over a 1.1 GB Q8_0 model took 0.5 s for 2 tokens instead of 0.15-0.2 s.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Group16x1<T>(byte* group, int blocks, byte* a, float* y, int rows)
        where T : IQuantizedBlocks
    {
        var scales = group;
        var data = group + ((nint)blocks * QuantizedRowGroups.ScaleBytes);
        Vector256<float> acc0 = default, acc1 = default;
        for (var b = 0; b < blocks; b++)
        {
            for (var line = 0; line < T.DataBytes; line += 64)
            {
                Sse.Prefetch0(data + PrefetchBytes + line);
            }

            Sse.Prefetch0(scales + (PrefetchBytes / 16));

            var c = Start<T>(a);
            Vector256<int> i0, j0;
            if (NibbleSums<T>())
            {
                // Q4_0 without AVX-VNNI: each 32-byte half line loaded once and split into its two quads'
                // nibbles, each token quad broadcast once; the quads summed in 16 bits (two chains a half),
                // then one vpmaddwd a half.
                var mask = Vector256.Create((byte)0x0F);
                Vector256<short> pi0, pj0, pi1, pj1;
                {
                    var (v0, v1, qa, qb) = (Vector256.Load(data), Vector256.Load(data + 32), Quad(a, 0), Quad(a, 1));
                    pi0 = Avx2.MultiplyAddAdjacent(v0 & mask, qa);
                    pj0 = Avx2.MultiplyAddAdjacent(v1 & mask, qa);
                    pi1 = Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & mask, qb);
                    pj1 = Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & mask, qb);
                }

                for (var l = 1; l < 4; l++)
                {
                    var (v0, v1, qa, qb) = (Vector256.Load(data + (64 * l)), Vector256.Load(data + (64 * l) + 32), Quad(a, 2 * l), Quad(a, (2 * l) + 1));
                    pi0 += Avx2.MultiplyAddAdjacent(v0 & mask, qa);
                    pj0 += Avx2.MultiplyAddAdjacent(v1 & mask, qa);
                    pi1 += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & mask, qb);
                    pj1 += Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(v1.AsUInt16(), 4).AsByte() & mask, qb);
                }

                i0 = c + Avx2.MultiplyAddAdjacent(pi0 + pi1, Vector256.Create((short)1));
                j0 = c + Avx2.MultiplyAddAdjacent(pj0 + pj1, Vector256.Create((short)1));
            }
            else
            {
                // Per half, two chains of 4, so that a block's products are not 8 dependent instructions.
                i0 = c;
                j0 = c;
                Vector256<int> i1 = default, j1 = default;
                var (low, high) = Line<T>(data, 0);
                var q = Quad(a, 0);
                i0 = Dot<T>(i0, Prepare<T>(low), q);
                j0 = Dot<T>(j0, Prepare<T>(high), q);
                (low, high) = Line<T>(data, 1);
                q = Quad(a, 1);
                i1 = Dot<T>(i1, Prepare<T>(low), q);
                j1 = Dot<T>(j1, Prepare<T>(high), q);
                (low, high) = Line<T>(data, 2);
                q = Quad(a, 2);
                i0 = Dot<T>(i0, Prepare<T>(low), q);
                j0 = Dot<T>(j0, Prepare<T>(high), q);
                (low, high) = Line<T>(data, 3);
                q = Quad(a, 3);
                i1 = Dot<T>(i1, Prepare<T>(low), q);
                j1 = Dot<T>(j1, Prepare<T>(high), q);
                (low, high) = Line<T>(data, 4);
                q = Quad(a, 4);
                i0 = Dot<T>(i0, Prepare<T>(low), q);
                j0 = Dot<T>(j0, Prepare<T>(high), q);
                (low, high) = Line<T>(data, 5);
                q = Quad(a, 5);
                i1 = Dot<T>(i1, Prepare<T>(low), q);
                j1 = Dot<T>(j1, Prepare<T>(high), q);
                (low, high) = Line<T>(data, 6);
                q = Quad(a, 6);
                i0 = Dot<T>(i0, Prepare<T>(low), q);
                j0 = Dot<T>(j0, Prepare<T>(high), q);
                (low, high) = Line<T>(data, 7);
                q = Quad(a, 7);
                i1 = Dot<T>(i1, Prepare<T>(low), q);
                j1 = Dot<T>(j1, Prepare<T>(high), q);
                i0 += i1;
                j0 += j1;
            }

            var dx = Vector256.Create(ActivationBlocks.Scale(a));
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i0), QuantizedScale.Read8(scales) * dx, acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(j0), QuantizedScale.Read8(scales + HalfScaleBytes) * dx, acc1);
            data += T.DataBytes;
            scales += QuantizedRowGroups.ScaleBytes;
            a += ActivationBlocks.BlockBytes;
        }

        Store(acc0, y, rows);
        Store(acc1, y + QuantizedRowGroups.HalfRows, rows - QuantizedRowGroups.HalfRows);
    }

    /// <summary>One group, four tokens, over all blocks: a pass per half, each quad of weights loaded once for the four tokens.</summary>
    /// <remarks>
    /// Each block step also prefetches <paramref name="lines"/> 64-byte lines from <paramref name="prefetch"/>
    /// (advanced) until <paramref name="prefetchEnd"/>: the caller's next groups, fetched while these compute.
    /// </remarks>
    public static void Group16x4<T>(byte* group, int blocks, byte* a, nint aStride, float* y, nint yStride, int rows, ref byte* prefetch, byte* prefetchEnd, int lines)
        where T : IQuantizedBlocks
    {
        Half8x4<T>(group, blocks, 0, a, aStride, y, yStride, rows, ref prefetch, prefetchEnd, lines);
        if (rows > QuantizedRowGroups.HalfRows)
        {
            Half8x4<T>(group, blocks, 1, a, aStride, y + QuantizedRowGroups.HalfRows, yStride, rows - QuantizedRowGroups.HalfRows, ref prefetch, prefetchEnd, lines);
        }
    }

    /// <summary>Half <paramref name="half"/> of a group (its 8 rows), four tokens, over all blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Half8x4<T>(byte* group, int blocks, int half, byte* a, nint aStride, float* y, nint yStride, int rows, ref byte* prefetch, byte* prefetchEnd, int lines)
        where T : IQuantizedBlocks
    {
        var scales = group + (half * HalfScaleBytes);
        var data = group + ((nint)blocks * QuantizedRowGroups.ScaleBytes) + (32 * half);
        byte* x0 = a, x1 = a + aStride, x2 = a + (2 * aStride), x3 = a + (3 * aStride);
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (var b = 0; b < blocks; b++)
        {
            if (prefetch < prefetchEnd)
            {
                for (var l = 0; l < lines; l++)
                {
                    Sse.Prefetch0(prefetch + (64 * l));
                }

                prefetch += 64 * lines;
            }

            var i0 = Start<T>(x0);
            var i1 = Start<T>(x1);
            var i2 = Start<T>(x2);
            var i3 = Start<T>(x3);
            if (NibbleSums<T>())
            {
                // Q4_0 without AVX-VNNI: a token's eight quads summed in 16 bits (a pair sum is at most
                // 2·15·127, eight of them 30,480), then one vpmaddwd a block instead of one a quad.
                Vector256<short> p0 = default, p1 = default, p2 = default, p3 = default;
                var n0 = T.Load(data, 0, 0);
                p0 += Avx2.MultiplyAddAdjacent(n0, Quad(x0, 0)); p1 += Avx2.MultiplyAddAdjacent(n0, Quad(x1, 0)); p2 += Avx2.MultiplyAddAdjacent(n0, Quad(x2, 0)); p3 += Avx2.MultiplyAddAdjacent(n0, Quad(x3, 0));
                var n1 = T.Load(data, 0, 1);
                p0 += Avx2.MultiplyAddAdjacent(n1, Quad(x0, 1)); p1 += Avx2.MultiplyAddAdjacent(n1, Quad(x1, 1)); p2 += Avx2.MultiplyAddAdjacent(n1, Quad(x2, 1)); p3 += Avx2.MultiplyAddAdjacent(n1, Quad(x3, 1));
                var n2 = T.Load(data, 0, 2);
                p0 += Avx2.MultiplyAddAdjacent(n2, Quad(x0, 2)); p1 += Avx2.MultiplyAddAdjacent(n2, Quad(x1, 2)); p2 += Avx2.MultiplyAddAdjacent(n2, Quad(x2, 2)); p3 += Avx2.MultiplyAddAdjacent(n2, Quad(x3, 2));
                var n3 = T.Load(data, 0, 3);
                p0 += Avx2.MultiplyAddAdjacent(n3, Quad(x0, 3)); p1 += Avx2.MultiplyAddAdjacent(n3, Quad(x1, 3)); p2 += Avx2.MultiplyAddAdjacent(n3, Quad(x2, 3)); p3 += Avx2.MultiplyAddAdjacent(n3, Quad(x3, 3));
                var n4 = T.Load(data, 0, 4);
                p0 += Avx2.MultiplyAddAdjacent(n4, Quad(x0, 4)); p1 += Avx2.MultiplyAddAdjacent(n4, Quad(x1, 4)); p2 += Avx2.MultiplyAddAdjacent(n4, Quad(x2, 4)); p3 += Avx2.MultiplyAddAdjacent(n4, Quad(x3, 4));
                var n5 = T.Load(data, 0, 5);
                p0 += Avx2.MultiplyAddAdjacent(n5, Quad(x0, 5)); p1 += Avx2.MultiplyAddAdjacent(n5, Quad(x1, 5)); p2 += Avx2.MultiplyAddAdjacent(n5, Quad(x2, 5)); p3 += Avx2.MultiplyAddAdjacent(n5, Quad(x3, 5));
                var n6 = T.Load(data, 0, 6);
                p0 += Avx2.MultiplyAddAdjacent(n6, Quad(x0, 6)); p1 += Avx2.MultiplyAddAdjacent(n6, Quad(x1, 6)); p2 += Avx2.MultiplyAddAdjacent(n6, Quad(x2, 6)); p3 += Avx2.MultiplyAddAdjacent(n6, Quad(x3, 6));
                var n7 = T.Load(data, 0, 7);
                p0 += Avx2.MultiplyAddAdjacent(n7, Quad(x0, 7)); p1 += Avx2.MultiplyAddAdjacent(n7, Quad(x1, 7)); p2 += Avx2.MultiplyAddAdjacent(n7, Quad(x2, 7)); p3 += Avx2.MultiplyAddAdjacent(n7, Quad(x3, 7));
                i0 += Avx2.MultiplyAddAdjacent(p0, Vector256.Create((short)1)); i1 += Avx2.MultiplyAddAdjacent(p1, Vector256.Create((short)1));
                i2 += Avx2.MultiplyAddAdjacent(p2, Vector256.Create((short)1)); i3 += Avx2.MultiplyAddAdjacent(p3, Vector256.Create((short)1));
            }
            else
            {
                var w = Prepare<T>(T.Load(data, 0, 0));
                i0 = Dot<T>(i0, w, Quad(x0, 0)); i1 = Dot<T>(i1, w, Quad(x1, 0)); i2 = Dot<T>(i2, w, Quad(x2, 0)); i3 = Dot<T>(i3, w, Quad(x3, 0));
                w = Prepare<T>(T.Load(data, 0, 1));
                i0 = Dot<T>(i0, w, Quad(x0, 1)); i1 = Dot<T>(i1, w, Quad(x1, 1)); i2 = Dot<T>(i2, w, Quad(x2, 1)); i3 = Dot<T>(i3, w, Quad(x3, 1));
                w = Prepare<T>(T.Load(data, 0, 2));
                i0 = Dot<T>(i0, w, Quad(x0, 2)); i1 = Dot<T>(i1, w, Quad(x1, 2)); i2 = Dot<T>(i2, w, Quad(x2, 2)); i3 = Dot<T>(i3, w, Quad(x3, 2));
                w = Prepare<T>(T.Load(data, 0, 3));
                i0 = Dot<T>(i0, w, Quad(x0, 3)); i1 = Dot<T>(i1, w, Quad(x1, 3)); i2 = Dot<T>(i2, w, Quad(x2, 3)); i3 = Dot<T>(i3, w, Quad(x3, 3));
                w = Prepare<T>(T.Load(data, 0, 4));
                i0 = Dot<T>(i0, w, Quad(x0, 4)); i1 = Dot<T>(i1, w, Quad(x1, 4)); i2 = Dot<T>(i2, w, Quad(x2, 4)); i3 = Dot<T>(i3, w, Quad(x3, 4));
                w = Prepare<T>(T.Load(data, 0, 5));
                i0 = Dot<T>(i0, w, Quad(x0, 5)); i1 = Dot<T>(i1, w, Quad(x1, 5)); i2 = Dot<T>(i2, w, Quad(x2, 5)); i3 = Dot<T>(i3, w, Quad(x3, 5));
                w = Prepare<T>(T.Load(data, 0, 6));
                i0 = Dot<T>(i0, w, Quad(x0, 6)); i1 = Dot<T>(i1, w, Quad(x1, 6)); i2 = Dot<T>(i2, w, Quad(x2, 6)); i3 = Dot<T>(i3, w, Quad(x3, 6));
                w = Prepare<T>(T.Load(data, 0, 7));
                i0 = Dot<T>(i0, w, Quad(x0, 7)); i1 = Dot<T>(i1, w, Quad(x1, 7)); i2 = Dot<T>(i2, w, Quad(x2, 7)); i3 = Dot<T>(i3, w, Quad(x3, 7));
            }

            var dw = QuantizedScale.Read8(scales);
            acc0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i0), dw * Vector256.Create(ActivationBlocks.Scale(x0)), acc0);
            acc1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i1), dw * Vector256.Create(ActivationBlocks.Scale(x1)), acc1);
            acc2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i2), dw * Vector256.Create(ActivationBlocks.Scale(x2)), acc2);
            acc3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(i3), dw * Vector256.Create(ActivationBlocks.Scale(x3)), acc3);
            data += T.DataBytes;
            scales += QuantizedRowGroups.ScaleBytes;
            x0 += ActivationBlocks.BlockBytes; x1 += ActivationBlocks.BlockBytes; x2 += ActivationBlocks.BlockBytes; x3 += ActivationBlocks.BlockBytes;
        }

        Store(acc0, y, rows);
        Store(acc1, y + yStride, rows);
        Store(acc2, y + (2 * yStride), rows);
        Store(acc3, y + (3 * yStride), rows);
    }

    /// <summary>The canonical order in scalar code for row <paramref name="row"/> (0..15) of a group: the definition, and the path where AVX2 is missing.</summary>
    public static float Scalar<T>(byte* group, int blocks, int row, byte* a)
        where T : IQuantizedBlocks
    {
        var acc = 0f;
        for (var b = 0; b < blocks; b++)
        {
            var s = QuantizedScale.Read(QuantizedRowGroups.Scales(group, b) + (2 * row)) * ActivationBlocks.Scale(a);
            var data = QuantizedRowGroups.Data<T>(group, blocks, b);
            var q = (sbyte*)a;
            var i = ActivationBlocks.Correction(a);
            for (var e = 0; e < 32; e++)
            {
                i += T.Unsigned(data, row, e) * q[e];
            }

            acc = MathF.FusedMultiplyAdd(i, s, acc);
            a += ActivationBlocks.BlockBytes;
        }

        return acc;
    }

    /// <summary>
    /// Whether this CPU multiplies Q8_0's signed weights rather than their unsigned bytes: AVX2 without
    /// AVX-VNNI (<see cref="DotSigned"/>). A block's sums then start at 0, not at the correction c:
    /// Σ w·q = c + Σ u·q, the same integer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SignedWeights<T>()
        where T : IQuantizedBlocks => !AvxVnni.IsSupported && T.Offset == 128;

    /// <summary>Whether the 4-token tile sums Q4_0's quads in 16 bits (AVX2 without AVX-VNNI; <see cref="DotUnsignedNibbles"/>'s bound).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool NibbleSums<T>()
        where T : IQuantizedBlocks => !AvxVnni.IsSupported && T.Offset <= 16;

    /// <summary>Where a block's integer sums for token <paramref name="a"/> start: its correction, or 0 (<see cref="SignedWeights"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Start<T>(byte* a)
        where T : IQuantizedBlocks => SignedWeights<T>() ? Vector256<int>.Zero : Vector256.Create(ActivationBlocks.Correction(a));

    /// <summary>
    /// A weight quad line as the products take it, once for all the tokens it meets: the unsigned bytes,
    /// or for <see cref="SignedWeights"/> |w| and w (w = u − 128: the sign bit flipped back).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static WeightQuads Prepare<T>(Vector256<byte> u)
        where T : IQuantizedBlocks
    {
        if (SignedWeights<T>())
        {
            var w = (u ^ Vector256.Create((byte)0x80)).AsSByte();
            return new WeightQuads(Avx2.Abs(w), w);
        }

        return new WeightQuads(u, default);
    }

    /// <summary>c[l] plus the quad sums of lane l's four products, exact: vpdpbusd where there is AVX-VNNI, else AVX2 (<see cref="DotUnsignedNibbles"/>, <see cref="DotSigned"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot<T>(Vector256<int> c, WeightQuads w, Vector256<sbyte> q)
        where T : IQuantizedBlocks
    {
        if (AvxVnni.IsSupported)
        {
            return AvxVnni.MultiplyWideningAndAdd(c, w.Bytes, q);
        }

        if (SignedWeights<T>())
        {
            return DotSigned(c, w.Bytes, w.Signed, q);
        }

        return T.Offset <= 16 ? DotUnsignedNibbles(c, w.Bytes, q) : DotWithoutVnni(c, w.Bytes, q);
    }

    /// <summary>
    /// c[l] + Σ_{j&lt;4} u[4l+j] · q[4l+j] for unsigned bytes below 16 (Q4_0's nibbles) on AVX2: vpmaddubsw
    /// cannot saturate (|u0·q0 + u1·q1| ≤ 2·15·127), then vpmaddwd by ones adds the pairs into quads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> DotUnsignedNibbles(Vector256<int> c, Vector256<byte> u, Vector256<sbyte> q) =>
        c + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, q), Vector256.Create((short)1));

    /// <summary>
    /// c[l] + Σ_{j&lt;4} w[4l+j] · q[4l+j] for signed weights w (any int8) and q in [−127, 127] (as
    /// <see cref="ActivationBlocks"/> makes them) on AVX2: |w| · (q · sign(w)) = w · q, where |w| ≤ 128 reads
    /// as an unsigned byte (vpabsb of −128 is 0x80) and q · sign(w) stays in [−127, 127] (vpsignb), so
    /// vpmaddubsw's pair sums stay within 2·128·127 = 32,512 and never saturate; vpmaddwd by ones adds
    /// the pairs into quads. Four instructions a token where widening to 16 bits takes about nine.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> DotSigned(Vector256<int> c, Vector256<byte> magnitude, Vector256<sbyte> w, Vector256<sbyte> q) =>
        c + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitude, Avx2.Sign(q, w)), Vector256.Create((short)1));

    /// <summary>
    /// The same sums on AVX2 alone for any unsigned bytes (vpmaddubsw would saturate at 255·127·2, so the
    /// bytes are widened to 16 bits first): pairs by vpmaddwd, then quads by vphaddd, whose lane order one
    /// vpermq restores. The kernels take <see cref="DotSigned"/> and <see cref="DotUnsignedNibbles"/> instead.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<int> DotWithoutVnni(Vector256<int> c, Vector256<byte> u, Vector256<sbyte> q)
    {
        var low = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(u.GetLower()), Avx2.ConvertToVector256Int16(q.GetLower()));
        var high = Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(u.GetUpper()), Avx2.ConvertToVector256Int16(q.GetUpper()));
        var quads = Avx2.HorizontalAdd(low, high);
        return Avx2.Permute4x64(quads.AsInt64(), 0b11_01_10_00).AsInt32() + c;
    }

    /// <summary>
    /// Quad <paramref name="quad"/> of a block's 16 rows as the two halves' 256-bit operands: where
    /// 512-bit vectors are native, the 64-byte line is loaded (and Q4_0's unpacked) once and split
    /// (.NET 10 has no 512-bit <c>vpdpbusd</c> before AVX10.2); elsewhere a load per half.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<byte> Low, Vector256<byte> High) Line<T>(byte* block, int quad)
        where T : IQuantizedBlocks
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var line = T.Load(block, quad);
            return (line.GetLower(), line.GetUpper());
        }

        return (T.Load(block, 0, quad), T.Load(block, 1, quad));
    }

    /// <summary>The token's quad j (its q[4j..4j+3]) in every dword: one broadcast load.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Quad(byte* a, int quad) => Vector256.Create(*(int*)(a + (4 * quad))).AsSByte();


    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> v, float* y, int rows)
    {
        if (rows >= QuantizedRowGroups.HalfRows)
        {
            v.Store(y);
            return;
        }

        for (var r = 0; r < rows; r++)
        {
            y[r] = v.GetElement(r);
        }
    }
}

/// <summary>A weight quad line prepared for its products: <see cref="Bytes"/> unsigned (u, or |w|), <see cref="Signed"/> w where the products are signed.</summary>
internal readonly record struct WeightQuads(Vector256<byte> Bytes, Vector256<sbyte> Signed);
