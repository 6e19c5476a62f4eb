using Tandem.Engine.Execution;
using Tandem.Engine.KvCache;

namespace Tandem.Engine.Tests.Execution;

/// <summary>
/// <c>event_buffer_max_size</c>: the engine logs the pool's creation, the blocks block reuse makes findable (with the
/// chained hashes a KV-aware router computes from a prompt) and the blocks it takes back.
/// </summary>
public class KvCacheEventsTests
{
    private const int TokensPerBlock = BlockReuseTests.TokensPerBlock;

    private static EngineOptions Options(int events, long maxKvTokens = 4096) =>
        BlockReuseTests.Options(reuse: true, maxKvTokens) with { KvEventBufferMaxSize = events };

    private static int[] Prompt(int seed, int length) => BlockReuseTests.Prompt(seed, length);

    [Fact]
    public async Task A_finished_request_stores_its_full_blocks_under_the_hashes_of_its_prompt()
    {
        await using var harness = TestModels.Open(TestModels.Stories, Options(events: 100));
        var prompt = Prompt(1, 41);
        await harness.GreedyAsync(prompt, 4); // 44 tokens computed: 5 full blocks

        var events = harness.Engine.KvCacheEvents!.Drain();
        Assert.Equal(KvCacheEventKind.Created, events[0].Kind);
        Assert.Equal((0L, harness.Engine.KvBlocksTotal), (events[0].Id, events[0].BlockCount));
        var stored = Assert.Single(events, e => e.Kind == KvCacheEventKind.Stored);
        Assert.Null(stored.ParentHash);

        // What a router computes from the prompt alone: the full blocks before its last token.
        Assert.Equal(BlockHasher.Chain(prompt.AsSpan(0, prompt.Length - 1), TokensPerBlock), stored.Blocks.Select(b => b.Hash));
        for (var i = 0; i < stored.Blocks.Count; i++)
        {
            Assert.Equal(prompt.Skip(i * TokensPerBlock).Take(TokensPerBlock), stored.Blocks[i].Tokens);
        }

        Assert.Empty(harness.Engine.KvCacheEvents.Drain());
        await harness.AssertPoolFullAsync();
    }

    [Fact]
    public async Task A_prompt_that_shares_a_start_stores_only_its_new_blocks_after_the_shared_ones()
    {
        await using var harness = TestModels.Open(TestModels.Stories, Options(events: 100));
        var first = Prompt(1, 41);
        await harness.GreedyAsync(first, 1);
        await harness.GreedyAsync(first, 1); // all reused: nothing new
        int[] second = [.. first.Take(2 * TokensPerBlock), .. Prompt(2, 30).Skip(1)];
        await harness.GreedyAsync(second, 1);

        var stored = harness.Engine.KvCacheEvents!.Drain().Where(e => e.Kind == KvCacheEventKind.Stored).ToList();
        Assert.Equal(2, stored.Count);
        var chain = BlockHasher.Chain(second.AsSpan(0, second.Length - 1), TokensPerBlock);
        Assert.Equal(chain[1], stored[1].ParentHash);
        Assert.Equal(chain.Skip(2), stored[1].Blocks.Select(b => b.Hash));
        Assert.Equal(stored[0].Blocks[1].Hash, stored[1].ParentHash);
        Assert.Equal(stored[0].Id + 1, stored[1].Id);
    }

    [Fact]
    public async Task Blocks_the_pool_takes_back_are_removed_once_each()
    {
        // 12 blocks of 8: each 41-token request needs 6, so the third on evict what the first left.
        await using var harness = TestModels.Open(TestModels.Stories, Options(events: 1000, maxKvTokens: 12 * TokensPerBlock));
        for (var seed = 1; seed <= 5; seed++)
        {
            await harness.GreedyAsync(Prompt(seed, 41), 2);
        }

        var events = harness.Engine.KvCacheEvents!.Drain();
        var stored = events.Where(e => e.Kind == KvCacheEventKind.Stored).SelectMany(e => e.Blocks.Select(b => b.Hash)).ToList();
        var removed = events.Where(e => e.Kind == KvCacheEventKind.Removed).SelectMany(e => e.RemovedHashes).ToList();
        Assert.NotEmpty(removed);
        Assert.Equal(removed.Count, removed.Distinct().Count());
        Assert.All(removed, h => Assert.Contains(h, stored));
        Assert.Equal(Enumerable.Range(0, events.Count).Select(i => (long)i), events.Select(e => e.Id));
        var first = BlockHasher.Chain(Prompt(1, 40), TokensPerBlock);
        Assert.Contains(first[0], removed);
        await harness.AssertPoolFullAsync();
    }

    [Fact]
    public async Task The_buffer_keeps_the_newest_events_and_none_are_kept_when_it_is_zero()
    {
        await using (var small = TestModels.Open(TestModels.Stories, Options(events: 2)))
        {
            for (var seed = 1; seed <= 3; seed++)
            {
                await small.GreedyAsync(Prompt(seed, 20), 1);
            }

            var log = small.Engine.KvCacheEvents!;
            var kept = log.Drain();
            Assert.Equal(2, kept.Count);
            Assert.Equal(kept[0].Id + 1, kept[1].Id);
            Assert.True(log.Dropped >= 2);
        }

        await using var off = TestModels.Open(TestModels.Stories, Options(events: 0));
        await off.GreedyAsync(Prompt(1, 20), 1);
        Assert.Null(off.Engine.KvCacheEvents);
    }
}
