using Tandem.Engine.Kernels;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Kernels;

/// <summary>
/// <see cref="MatMul.Compute"/> with <c>xUnchanged</c>: x packed by the previous call is used again only
/// where the matrix packs x the same way, and every result equals the same product computed afresh.
/// </summary>
public sealed class MatMulReuseTests : IDisposable
{
    private readonly KernelThreads _two = new(2);

    public void Dispose() => _two.Dispose();

    [Fact]
    public void A_chain_of_matrices_on_one_x_gives_what_each_gives_alone_whatever_their_types()
    {
        const int Cols = 96;

        // Same kinds in a row (packed x reused) and changes of kind (Q8_0 and Q4_0 blocks differ in their corrections).
        DType[] chain = [DType.Q8_0, DType.Q8_0, DType.Q4_0, DType.Q4_0, DType.Q8_0, DType.BF16, DType.BF16, DType.F32, DType.F16, DType.Q4_0];
        var matrices = chain.Select((dtype, i) => new TestMatrix(dtype, 16 + (8 * i), Cols, seed: 40 + i)).ToArray();
        try
        {
            foreach (var n in (int[])[1, 7, 8, 20])
            {
                var x = TestMatrix.RandomVector(n * Cols, new Random(n));
                var chained = matrices.Select(m => new float[n * m.Matrix.Rows]).ToArray();
                for (var i = 0; i < matrices.Length; i++)
                {
                    MatMul.Compute(matrices[i].Matrix, x, n, chained[i], _two, xUnchanged: i > 0);
                }

                for (var i = 0; i < matrices.Length; i++)
                {
                    var fresh = new float[n * matrices[i].Matrix.Rows];
                    MatMul.Compute(matrices[i].Matrix, x, n, fresh, _two);
                    Assert.True(fresh.SequenceEqual(chained[i]), $"n {n}: matrix {i} ({chain[i]}) differs when chained");
                }
            }
        }
        finally
        {
            foreach (var m in matrices)
            {
                m.Dispose();
            }
        }
    }

    [Theory]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.BF16)]
    public void Other_memory_or_another_token_count_is_packed_again(DType dtype)
    {
        const int Cols = 64;
        using var w = new TestMatrix(dtype, 24, Cols, seed: 50);
        var x = TestMatrix.RandomVector(16 * Cols, new Random(51));
        var other = TestMatrix.RandomVector(16 * Cols, new Random(52));
        var y = new float[16 * 24];
        MatMul.Compute(w.Matrix, x, 16, y, _two);

        // Another array: its own values, not x's, whatever the caller says.
        var expected = new float[16 * 24];
        MatMul.Compute(w.Matrix, other, 16, expected, _two);
        MatMul.Compute(w.Matrix, x, 16, y, _two);
        MatMul.Compute(w.Matrix, other, 16, y, _two, xUnchanged: true);
        Assert.Equal(expected, y);

        // The same array, fewer tokens.
        MatMul.Compute(w.Matrix, x, 3, expected, _two);
        MatMul.Compute(w.Matrix, x, 16, y, _two);
        var fewer = new float[16 * 24];
        MatMul.Compute(w.Matrix, x, 3, fewer, _two, xUnchanged: true);
        Assert.Equal(expected.AsSpan(0, 3 * 24).ToArray(), fewer.AsSpan(0, 3 * 24).ToArray());

        // Changed values without the flag: packed again.
        MatMul.Compute(w.Matrix, x, 16, y, _two);
        other.CopyTo(x, 0);
        MatMul.Compute(w.Matrix, other, 16, expected, _two);
        MatMul.Compute(w.Matrix, x, 16, y, _two);
        Assert.Equal(expected, y);
    }
}
