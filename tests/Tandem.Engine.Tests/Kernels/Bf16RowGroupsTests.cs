using Tandem.Engine.Kernels;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Kernels;

/// <summary>BF16 matrices in row groups: the layout reads back exactly, and every product follows its canonical order.</summary>
public sealed class Bf16RowGroupsTests : IDisposable
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

    [Fact]
    public void Rows_read_back_exactly_whatever_the_shape()
    {
        foreach (var (rows, cols) in (ReadOnlySpan<(int, int)>)[(1, 1), (15, 7), (16, 32), (17, 33), (40, 256), (3, 2049)])
        {
            using var w = new TestMatrix(DType.BF16, rows, cols, seed: rows + cols, bf16Groups: true);
            Assert.True(w.Matrix.Bf16Groups);
            Assert.Equal(Bf16RowGroups.Groups(rows) * 16L * ((cols + 1) / 2) * 4, w.Matrix.ByteCount);
            var row = new float[cols];
            for (var r = 0; r < rows; r++)
            {
                WeightRows.ToFloat(w.Matrix, r, row);
                Assert.Equal(w.Values.AsSpan(r * cols, cols).ToArray(), row);
            }
        }
    }

    [Fact]
    public unsafe void Only_row_major_bf16_is_packed_and_groups_have_no_row_address()
    {
        using var f32 = new TestMatrix(DType.F32, 16, 8, seed: 1);
        using var grouped = new TestMatrix(DType.BF16, 16, 8, seed: 1, bf16Groups: true);
        var destination = stackalloc byte[1024];
        Assert.Contains("F32", Assert.Throws<ArgumentException>(() => Bf16RowGroups.Pack(f32.Matrix, destination)).Message, StringComparison.Ordinal);
        Assert.Contains("row groups", Assert.Throws<ArgumentException>(() => Bf16RowGroups.Pack(grouped.Matrix, destination)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => grouped.Matrix.Row(0));
        Assert.False(grouped.Matrix.FitsAmxTiles);
    }

    /// <summary>
    /// Every length 0..256 (and long rows) against the scalar definition bit for bit and a double
    /// reference: token counts that run every tile (16, 8, 4, single tokens, and their mixes), row
    /// counts with a partial last group and with whole 4-group runs, one to three threads.
    /// </summary>
    [Fact]
    public void Every_length_equals_the_canonical_order_bit_for_bit()
    {
        var random = new Random(7);
        foreach (var (threads, rows, n) in (ReadOnlySpan<(KernelThreads, int, int)>)[(_two, 9, 29), (_one, 64, 1), (_three, 70, 3), (_one, 17, 12), (_two, 33, 16)])
        {
            foreach (var cols in Enumerable.Range(0, 257).Concat([1061, 2048, 2100]))
            {
                using var w = new TestMatrix(DType.BF16, rows, cols, seed: cols, bf16Groups: true);
                var x = TestMatrix.RandomVector(n * cols, random);
                var y = new float[n * rows];
                MatMul.Compute(w.Matrix, x, n, y, threads);
                for (var t = 0; t < n; t++)
                {
                    for (var r = 0; r < rows; r++)
                    {
                        var expected = Bf16RowGroups.Scalar(w.Matrix, r, x.AsSpan(t * cols, cols));
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
    [InlineData(37, 300)]
    [InlineData(64, 2048)]
    [InlineData(9, 4161)]
    [InlineData(128, 5632)]
    public void A_token_gets_the_same_bits_alone_and_in_any_batch_on_any_thread_count(int rows, int cols)
    {
        var random = new Random(3);
        using var w = new TestMatrix(DType.BF16, rows, cols, seed: 4, bf16Groups: true);
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
        }
    }
}
