using Tandem.Engine.Kernels;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Kernels;

/// <summary>F32, BF16 and F16 matrices in row groups: the layout reads back exactly, and every product follows its canonical order.</summary>
public sealed class FloatRowGroupsTests : IDisposable
{
    private readonly KernelThreads _one = new(1);
    private readonly KernelThreads _two = new(2);
    private readonly KernelThreads _three = new(3);

    public void Dispose()
    {
        _one.Dispose();
        _two.Dispose();
        _three.Dispose();
    }

    [Theory]
    [InlineData(DType.BF16)]
    [InlineData(DType.F16)]
    [InlineData(DType.F32)]
    public void Rows_read_back_exactly_whatever_the_shape(DType dtype)
    {
        foreach (var (rows, cols) in (ReadOnlySpan<(int, int)>)[(1, 1), (15, 7), (16, 32), (17, 33), (40, 256), (3, 2049)])
        {
            using var w = new TestMatrix(dtype, rows, cols, seed: rows + cols, floatGroups: true);
            Assert.True(w.Matrix.FloatGroups);
            Assert.Equal(FloatRowGroups.Groups(rows) * 16L * ((cols + 1) / 2) * 2 * dtype.RowBytes(1), w.Matrix.ByteCount);
            var row = new float[cols];
            for (var r = 0; r < rows; r++)
            {
                WeightRows.ToFloat(w.Matrix, r, row);
                Assert.Equal(w.Values.AsSpan(r * cols, cols).ToArray(), row);
            }
        }
    }

    [Fact]
    public unsafe void Only_row_major_float_types_are_packed_and_groups_have_no_row_address()
    {
        using var q8 = new TestMatrix(DType.Q8_0, 16, 32, seed: 1);
        using var grouped = new TestMatrix(DType.BF16, 16, 8, seed: 1, floatGroups: true);
        var destination = stackalloc byte[1024];
        Assert.Contains("Q8_0", Assert.Throws<ArgumentException>(() => FloatRowGroups.Pack(q8.Matrix, destination)).Message, StringComparison.Ordinal);
        Assert.Contains("row groups", Assert.Throws<ArgumentException>(() => FloatRowGroups.Pack(grouped.Matrix, destination)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => grouped.Matrix.Row(0));
        Assert.False(grouped.Matrix.FitsAmxTiles);
    }

    /// <summary>
    /// Every length 0..256 (and long rows) against the scalar definition bit for bit and a double
    /// reference: token counts that run every tile (16, 8, 4, single tokens, and their mixes), row
    /// counts with a partial last group and with whole 4-group runs, one to three threads.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestMatrix.FloatTypesAndWidths), MemberType = typeof(TestMatrix))]
    public void Every_length_equals_the_canonical_order_bit_for_bit(DType dtype, string widthName)
    {
        var width = TestMatrix.WidthOrSkip(widthName);

        var random = new Random(7);
        foreach (var (threads, rows, n) in (ReadOnlySpan<(KernelThreads, int, int)>)[(_two, 9, 29), (_one, 64, 1), (_three, 70, 3), (_one, 17, 12), (_two, 33, 16), (_two, 48, 7), (_three, 80, 2)])
        {
            foreach (var cols in Enumerable.Range(0, 257).Concat([1061, 2048, 2100]))
            {
                using var w = new TestMatrix(dtype, rows, cols, seed: cols, floatGroups: true);
                var x = TestMatrix.RandomVector(n * cols, random);
                var y = new float[n * rows];
                MatMul.ComputeOn(width, w.Matrix, x, n, y, threads);
                for (var t = 0; t < n; t++)
                {
                    for (var r = 0; r < rows; r++)
                    {
                        var expected = FloatRowGroups.Scalar(w.Matrix, r, x.AsSpan(t * cols, cols));
                        var actual = y[(t * rows) + r];
                        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"rows {rows} cols {cols} n {n} t {t} r {r}: {actual} vs {expected}");
                        var (sum, magnitude) = w.DoubleDot(r, x, t);
                        Assert.True(Math.Abs(actual - sum) <= 1e-5 * magnitude, $"rows {rows} cols {cols} t {t} r {r}: {actual} vs {sum}");
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(DType.BF16, 37, 300)]
    [InlineData(DType.BF16, 64, 2048)]
    [InlineData(DType.BF16, 9, 4161)]
    [InlineData(DType.BF16, 128, 5632)]
    [InlineData(DType.F16, 37, 300)]
    [InlineData(DType.F16, 128, 5632)]
    [InlineData(DType.F32, 37, 300)]
    [InlineData(DType.F32, 64, 2048)]
    public void A_token_gets_the_same_bits_alone_and_in_any_batch_on_any_thread_count(DType dtype, int rows, int cols)
    {
        var random = new Random(3);
        using var w = new TestMatrix(dtype, rows, cols, seed: 4, floatGroups: true);
        var token = TestMatrix.RandomVector(cols, random);
        var alone = new float[rows];
        MatMul.Compute(w.Matrix, token, 1, alone, _one);
        foreach (var n in Enumerable.Range(1, 24).Concat([31, 32, 37, 64]))
        {
            var position = random.Next(n);
            var x = TestMatrix.RandomVector(n * cols, random);
            token.CopyTo(x, position * cols);
            foreach (var threads in (KernelThreads[])[_one, _two, _three])
            {
                var y = new float[n * rows];
                MatMul.Compute(w.Matrix, x, n, y, threads);
                for (var r = 0; r < rows; r++)
                {
                    Assert.Equal(BitConverter.SingleToInt32Bits(alone[r]), BitConverter.SingleToInt32Bits(y[(position * rows) + r]));
                }
            }

            // The AVX2 kernels give the same bits (where this CPU runs wider ones, they are what Auto took).
            var avx2 = new float[n * rows];
            MatMul.ComputeOn(FloatVectorWidth.Vector256, w.Matrix, x, n, avx2, _two);
            for (var r = 0; r < rows; r++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(alone[r]), BitConverter.SingleToInt32Bits(avx2[(position * rows) + r]));
            }
        }
    }

    /// <summary>
    /// F16 weights widened without F16C: every finite half (normal, subnormal, ±0, ±max) gives its exact
    /// value, ±infinity stays infinite and NaN stays NaN, in the kernels as in <see cref="Half"/>'s conversion.
    /// </summary>
    [Fact]
    public unsafe void Every_f16_bit_pattern_widens_exactly()
    {
        // 65,536 halves: row r, column k holds pattern r * 256 + k; x is one-hot per token, so y[t, r] = w[r, t].
        const int rows = 256, cols = 256;
        var stored = new ushort[rows * cols];
        for (var i = 0; i < stored.Length; i++)
        {
            stored[i] = (ushort)i;
        }

        fixed (ushort* data = stored)
        {
            var rowMajor = new WeightMatrix((byte*)data, DType.F16, rows, cols);
            var groups = new byte[FloatRowGroups.Bytes(DType.F16, rows, cols)];
            fixed (byte* destination = groups)
            {
                var matrix = FloatRowGroups.Pack(rowMajor, destination);
                var row = new float[cols];
                for (var r = 0; r < rows; r++)
                {
                    WeightRows.ToFloat(matrix, r, row);
                    for (var k = 0; k < cols; k++)
                    {
                        AssertSameValue((float)BitConverter.UInt16BitsToHalf(stored[(r * cols) + k]), row[k]);
                    }
                }

                // Every pattern through the 16-token tiles (256 tokens, token t hot at column t), then
                // through the one-token kernel (256 calls of one token) and the 8- and 4-token tiles (12 tokens).
                CheckOneHot(matrix, stored, _two, 256, first: 0);
                for (var c = 0; c < cols; c++)
                {
                    CheckOneHot(matrix, stored, _one, 1, first: c);
                }

                CheckOneHot(matrix, stored, _three, 12, first: 100);
            }
        }
    }

    /// <summary>Single F16 weights (one column, odd, so the pair's high half is padding): each row's product with 1 is the weight.</summary>
    [Fact]
    public unsafe void F16_infinities_nans_subnormals_and_signed_zero_widen_exactly()
    {
        ushort[] patterns = [0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFE00, 0x0001, 0x03FF, 0x8001, 0x0400, 0x7BFF, 0xFBFF, 0x8000, 0x0000, 0x3C00, 0x3555, 0xC000, 0x1234];
        fixed (ushort* data = patterns)
        {
            var rowMajor = new WeightMatrix((byte*)data, DType.F16, patterns.Length, 1);
            var groups = new byte[FloatRowGroups.Bytes(DType.F16, patterns.Length, 1)];
            fixed (byte* destination = groups)
            {
                var matrix = FloatRowGroups.Pack(rowMajor, destination);
                foreach (var n in (int[])[1, 4, 8, 16, 17])
                {
                    var x = Enumerable.Repeat(1f, n).ToArray();
                    foreach (var width in Widths)
                    {
                        var y = new float[n * patterns.Length];
                        MatMul.ComputeOn(width, matrix, x, n, y, _two);
                        for (var t = 0; t < n; t++)
                        {
                            for (var r = 0; r < patterns.Length; r++)
                            {
                                AssertSameValue((float)BitConverter.UInt16BitsToHalf(patterns[r]) + 0f, y[(t * patterns.Length) + r]);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The widths the F16 checks run: the native one, and the AVX2 kernels where the CPU has AVX2 (else the scalar loop).</summary>
    private static FloatVectorWidth[] Widths => [FloatVectorWidth.Auto, FloatVectorWidth.Vector256];

    /// <summary>x = n one-hot tokens, token t hot at column first + t: y[t, r] must be w[r, first + t] (+ 0).</summary>
    private static void CheckOneHot(WeightMatrix matrix, ushort[] stored, KernelThreads threads, int n, int first)
    {
        int rows = matrix.Rows, cols = matrix.Cols;
        var x = new float[n * cols];
        for (var t = 0; t < n; t++)
        {
            x[(t * cols) + first + t] = 1f;
        }

        foreach (var width in Widths)
        {
            CheckOneHot(matrix, stored, threads, n, first, x, width);
        }
    }

    private static void CheckOneHot(WeightMatrix matrix, ushort[] stored, KernelThreads threads, int n, int first, float[] x, FloatVectorWidth width)
    {
        int rows = matrix.Rows, cols = matrix.Cols;
        var y = new float[n * rows];
        MatMul.ComputeOn(width, matrix, x, n, y, threads);
        for (var t = 0; t < n; t++)
        {
            for (var r = 0; r < rows; r++)
            {
                var value = (float)BitConverter.UInt16BitsToHalf(stored[(r * cols) + first + t]);

                // The other columns add w·0: NaN in a row holding an infinite or NaN weight (rows 124–127 and 252–255 hold
                // only those), so a finite weight's row keeps its value.
                var expected = float.IsFinite(value) ? value + 0f : float.NaN;
                AssertSameValue(expected, y[(t * rows) + r]);
            }
        }
    }

    private static void AssertSameValue(float expected, float actual)
    {
        if (float.IsNaN(expected))
        {
            Assert.True(float.IsNaN(actual), $"expected NaN, got {actual}");
        }
        else
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual));
        }
    }
}
