using Tandem.Engine.Kernels;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Kernels;

public class WeightRowsTests
{
    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void Rows_widen_exactly(DType dtype)
    {
        foreach (var cols in (int[])[0, 1, 15, 16, 17, 33, 100])
        {
            using var w = new TestMatrix(dtype, 4, cols, seed: cols);
            var row = new float[cols];
            for (var r = 0; r < 4; r++)
            {
                WeightRows.ToFloat(w.Matrix, r, row);
                Assert.Equal(w.Values.AsSpan(r * cols, cols).ToArray(), row);
            }
        }
    }

    [Fact]
    public void Out_of_range_rows_are_rejected()
    {
        using var w = new TestMatrix(DType.BF16, 2, 8, seed: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightRows.ToFloat(w.Matrix, 2, new float[8]));
        Assert.Throws<ArgumentException>(() => WeightRows.ToFloat(w.Matrix, 0, new float[7]));
    }
}
