using Tandem.Engine.Kernels;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Kernels;

public sealed class MatMulTests : IDisposable
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
    [MemberData(nameof(TestMatrix.FloatTypesAndWidths), MemberType = typeof(TestMatrix))]
    public void Every_length_0_to_256_matches_a_double_reference(DType dtype, string widthName)
    {
        var width = TestMatrix.WidthOrSkip(widthName);
        var random = new Random(1);
        foreach (var rows in (int[])[1, 5, 8])
        {
            for (var cols = 0; cols <= 256; cols++)
            {
                const int n = 5;
                using var w = new TestMatrix(dtype, rows, cols, seed: (cols * 7) + rows);
                var x = TestMatrix.RandomVector(n * cols, random);
                var y = new float[n * rows];
                MatMul.ComputeOn(width, w.Matrix, x, n, y, _two);
                for (var t = 0; t < n; t++)
                {
                    for (var r = 0; r < rows; r++)
                    {
                        var (sum, magnitude) = w.DoubleDot(r, x, t);
                        var error = Math.Abs(y[(t * rows) + r] - sum);
                        Assert.True(error <= 1e-6 * magnitude, $"rows {rows} cols {cols} t {t} r {r}: {y[(t * rows) + r]} vs {sum}");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestMatrix.FloatTypesAndWidths), MemberType = typeof(TestMatrix))]
    public unsafe void Every_length_equals_the_scalar_definition_of_the_canonical_order_bit_for_bit(DType dtype, string widthName)
    {
        var width = TestMatrix.WidthOrSkip(widthName);
        var random = new Random(2);

        // Past 256: rows long enough for the multi-token loop to slice the reduction axis, with tails.
        // 6 tokens on two threads: 4-token tiles and leftovers; 1 and 3 tokens on one thread over 21
        // rows: the 8-row, 4-row and single-row matrix-vector tiles (AVX2: 4-row and single-row).
        foreach (var (threads, rows, n) in (ReadOnlySpan<(KernelThreads, int, int)>)[(_two, 9, 6), (_one, 21, 1), (_one, 21, 3)])
        {
            foreach (var cols in Enumerable.Range(0, 257).Concat([1061, 2048, 2100]))
            {
                using var w = new TestMatrix(dtype, rows, cols, seed: cols);
                var x = TestMatrix.RandomVector(n * cols, random);
                var y = new float[n * rows];
                MatMul.ComputeOn(width, w.Matrix, x, n, y, threads);

                // The definition: fp32 rows (F16 and BF16 widened exactly), x packed in the decoder's order.
                var cols32 = (cols + 31) & ~31;
                var packed = new float[cols32];
                var row = new float[cols32];
                for (var t = 0; t < n; t++)
                {
                    for (var i = 0; i < cols32; i++)
                    {
                        packed[i] = PackedSource(dtype, i) is var k && k < cols ? x[(t * cols) + k] : 0f;
                    }

                    for (var r = 0; r < rows; r++)
                    {
                        float expected;
                        fixed (float* xp = packed)
                        {
                            if (dtype == DType.BF16)
                            {
                                expected = DotTiles.Scalar<BF16Chunks>(w.Matrix.Row(r), cols, xp);
                            }
                            else
                            {
                                Array.Clear(row);
                                Array.Copy(w.Values, r * cols, row, 0, cols);
                                fixed (float* rp = row)
                                {
                                    expected = DotTiles.Scalar<F32Chunks>((byte*)rp, cols, xp);
                                }
                            }
                        }

                        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(y[(t * rows) + r]));
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(DType.F32, 37, 300)]
    [InlineData(DType.F16, 37, 300)]
    [InlineData(DType.BF16, 37, 300)]
    [InlineData(DType.BF16, 64, 2048)]
    [InlineData(DType.F32, 21, 1000)]
    [InlineData(DType.F16, 13, 2200)]
    [InlineData(DType.BF16, 9, 4161)]
    [InlineData(DType.Q8_0, 37, 320)]
    [InlineData(DType.Q4_0, 37, 320)]
    [InlineData(DType.Q8_0, 21, 2112)]
    [InlineData(DType.Q4_0, 64, 4160)]
    public void A_token_gets_the_same_bits_alone_and_in_any_batch_on_any_thread_count(DType dtype, int rows, int cols)
    {
        var random = new Random(3);
        using var w = new TestMatrix(dtype, rows, cols, seed: 4);
        var token = TestMatrix.RandomVector(cols, random);
        var alone = new float[rows];
        MatMul.Compute(w.Matrix, token, 1, alone, _one);

        // Every vector width gives the same bits too: a model's output does not depend on the CPU's vectors.
        if (!dtype.IsQuantized() && DotTiles256.IsSupported)
        {
            var avx2 = new float[rows];
            MatMul.ComputeOn(FloatVectorWidth.Vector256, w.Matrix, token, 1, avx2, _two);
            Assert.Equal(alone.Select(BitConverter.SingleToInt32Bits), avx2.Select(BitConverter.SingleToInt32Bits));
        }

        for (var n = 1; n <= 20; n++)
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

            if (!dtype.IsQuantized() && DotTiles256.IsSupported)
            {
                var y = new float[n * rows];
                MatMul.ComputeOn(FloatVectorWidth.Vector256, w.Matrix, x, n, y, _two);
                for (var r = 0; r < rows; r++)
                {
                    Assert.Equal(BitConverter.SingleToInt32Bits(alone[r]), BitConverter.SingleToInt32Bits(y[(position * rows) + r]));
                }
            }
        }
    }

    [Fact]
    public void Rejects_too_short_buffers()
    {
        using var w = new TestMatrix(DType.F32, 3, 4, seed: 5);
        Assert.Throws<ArgumentException>(() => MatMul.Compute(w.Matrix, new float[7], 2, new float[6], _one));
        Assert.Throws<ArgumentException>(() => MatMul.Compute(w.Matrix, new float[8], 2, new float[5], _one));
    }

    /// <summary>Which element of a 32-chunk the packed position <paramref name="i"/> holds.</summary>
    private static int PackedSource(DType dtype, int i)
    {
        var chunk = i & ~31;
        var lane = i & 31;
        return dtype == DType.BF16 ? chunk + (lane < 16 ? 2 * lane : (2 * (lane - 16)) + 1) : i;
    }
}
