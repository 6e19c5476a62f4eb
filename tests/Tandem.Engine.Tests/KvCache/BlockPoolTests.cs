using Tandem.Engine.KvCache;

namespace Tandem.Engine.Tests.KvCache;

public class BlockPoolTests
{
    [Fact]
    public void Allocation_is_all_or_nothing_and_release_returns_every_block()
    {
        var pool = new BlockPool(5);
        var a = new List<int>();
        var b = new List<int>();
        Assert.True(pool.TryAllocate(3, a));
        Assert.False(pool.TryAllocate(3, b));
        Assert.Empty(b);
        Assert.Equal(2, pool.FreeCount);
        pool.CheckInvariants();

        pool.ReleaseAll(a);
        Assert.Empty(a);
        Assert.Equal(5, pool.FreeCount);
        pool.CheckInvariants();
    }

    [Fact]
    public void Cached_blocks_wait_unreferenced_until_a_prefix_takes_them_or_the_pool_evicts_them()
    {
        var pool = new BlockPool(4);
        pool.EnableReuse(tokensPerBlock: 2);
        int[] tokens = [5, 6, 7, 8, 9];
        var first = new List<int>();
        Assert.True(pool.TryAllocate(3, first));
        pool.Index!.Register(tokens, first, fullBlocks: 2);
        var cached = first.Take(2).ToArray();
        pool.ReleaseAll(first);
        Assert.Equal((4, 2, 2), (pool.FreeCount, pool.EvictableCount, pool.Index.Count));
        pool.CheckInvariants();

        // The same start finds both blocks, in order; other tokens find none.
        var again = new List<int>();
        Assert.Equal(2, pool.Index.Match(tokens, 2, pool, again));
        Assert.Equal(cached, again);
        int[] other = [5, 7, 7, 8];
        Assert.Equal(0, pool.Index.Match(other, 2, pool, new List<int>()));
        Assert.Equal((2, 0), (pool.FreeCount, pool.EvictableCount));
        pool.CheckInvariants();
        pool.ReleaseAll(again);

        // Taking every block evicts the cached ones (the first block released last, so evicted last) and forgets them.
        var all = new List<int>();
        Assert.True(pool.TryAllocate(4, all));
        Assert.Equal((0, 0, 0), (pool.FreeCount, pool.EvictableCount, pool.Index.Count));
        Assert.Equal(cached[0], all[^1]);
        pool.CheckInvariants();
        pool.ReleaseAll(all);
        Assert.Equal(4, pool.FreeCount);
        Assert.Equal(0, pool.Index.Match(tokens, 2, pool, new List<int>()));
        pool.CheckInvariants();
    }

    [Fact]
    public void A_shared_block_is_freed_by_its_last_reference()
    {
        var pool = new BlockPool(2);
        var ids = new List<int>();
        Assert.True(pool.TryAllocate(1, ids));
        pool.AddReference(ids[0]);
        pool.Release(ids[0]);
        Assert.Equal(1, pool.FreeCount);
        pool.Release(ids[0]);
        Assert.Equal(2, pool.FreeCount);
        pool.CheckInvariants();
    }

    [Fact]
    public void Releasing_a_free_block_is_a_bug_that_is_caught()
    {
        var pool = new BlockPool(1);
        Assert.Throws<InvalidOperationException>(() => pool.Release(0));
        Assert.Throws<InvalidOperationException>(() => pool.AddReference(0));
    }

    [Fact]
    public void Positions_map_to_their_block_and_slot()
    {
        var layout = new KvCacheLayout("m", Layers: 2, KvHeads: 3, HeadDim: 4, TokensPerBlock: 8);
        using var cache = new PagedKvCache(layout, 4);
        var table = new List<int>();
        Assert.True(cache.Pool.TryAllocate(2, table));

        cache.Write(table, layer: 1, position: 9, value: true, Enumerable.Repeat(42f, layout.TokenStride).ToArray());
        var bytes = cache.BlockBytes(table[1]);
        var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes);

        // block-major: layer 1's V starts after L0.K, L0.V and L1.K; position 9 is slot 1 of the second block.
        var start = (3 * layout.LayerHalfStride) + (1 * layout.TokenStride);
        Assert.All(floats.Slice(start, layout.TokenStride).ToArray(), v => Assert.Equal(42f, v));
        Assert.Equal(layout.TokenStride, floats.ToArray().Count(v => v == 42f));
    }

    [Fact]
    public void A_bfloat16_cache_stores_two_bytes_an_element_rounded_to_nearest_even_and_reads_them_back_widened()
    {
        var layout = new KvCacheLayout("m", Layers: 2, KvHeads: 1, HeadDim: 8, TokensPerBlock: 4, KvCacheDTypes.BFloat16Name);
        Assert.Equal(2 * 2 * 4 * 8 * 2, layout.BlockBytes);
        Assert.Equal(2 * 2 * 8 * 2, layout.BytesPerToken);
        using var cache = new PagedKvCache(layout, 2);
        var table = new List<int>();
        Assert.True(cache.Pool.TryAllocate(2, table));

        // 1 + 2^-8 is a tie between bfloat16 1 and 1 + 2^-7 (rounds to even: 1); 1 + 3·2^-8 rounds up to 1 + 2^-6;
        // just above the tie rounds up; NaN stays NaN; infinity and the largest values stay as they are.
        float[] written = [1f + (1f / 256), 1f + (3f / 256), 1.00391f, float.NaN, float.PositiveInfinity, -3.5f, 0f, -0f];
        float[] expected = [1f, 1f + (1f / 64), 1f + (1f / 128), float.NaN, float.PositiveInfinity, -3.5f, 0f, -0f];
        cache.Write(table, layer: 1, position: 6, value: false, written);
        var read = new float[8];
        cache.Read(table, layer: 1, position: 6, value: false, read);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits).Where((_, i) => i != 3), read.Select(BitConverter.SingleToInt32Bits).Where((_, i) => i != 3));
        Assert.True(float.IsNaN(read[3]));

        // The element's two bytes sit where the block-major layout puts them: layer 1's K, slot 2 of the second block.
        var halves = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(cache.BlockBytes(table[1]));
        var start = (2 * layout.LayerHalfStride) + (2 * layout.TokenStride);
        Assert.Equal((ushort)0x3F80, halves[start]);
        Assert.Equal((ushort)0xC060, halves[start + 5]);
    }
}
