using Tandem.Engine.KvCache;

namespace Tandem.Engine.Tests.KvCache;

/// <summary>
/// The chained block hash against values computed independently (a Python transcription of TensorRT-LLM's
/// BlockKeyHasher with explicit 32- and 64-bit wrapping), so a TensorRT-LLM router and a Tandem worker name blocks alike.
/// </summary>
public class BlockHasherTests
{
    [Fact]
    public void Hashes_match_the_reference_values()
    {
        var first = BlockHasher.Hash([1, 2, 3, 4], 0);
        Assert.Equal(924206229973855UL, first);
        Assert.Equal(2728178455351807326UL, BlockHasher.Hash([5, 6, 7, 8], first));
        Assert.Equal(12809241085271551977UL, BlockHasher.Hash([.. Enumerable.Range(100, 32)], 0));
        Assert.Equal(2654435832UL, BlockHasher.Hash([0], 0));
        Assert.Equal(7772573807071554136UL, BlockHasher.Hash([-1, 31999], 12345));
    }

    [Fact]
    public void A_chain_hashes_only_full_blocks_each_after_the_one_before()
    {
        int[] tokens = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var chain = BlockHasher.Chain(tokens, 4);
        Assert.Equal([BlockHasher.Hash([1, 2, 3, 4], 0), BlockHasher.Hash([5, 6, 7, 8], BlockHasher.Hash([1, 2, 3, 4], 0))], chain);
        Assert.NotEqual(BlockHasher.Hash([5, 6, 7, 8], 0), chain[1]);
        Assert.Empty(BlockHasher.Chain([1, 2, 3], 4));
    }
}
