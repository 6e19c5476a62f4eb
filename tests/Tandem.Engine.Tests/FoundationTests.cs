using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests;

public class FoundationTests
{
    [Theory]
    [InlineData(DType.F32, 4)]
    [InlineData(DType.F16, 2)]
    [InlineData(DType.BF16, 2)]
    public void DType_sizes_match_their_storage(DType dtype, int size) => Assert.Equal(size, dtype.ByteSize());
}
