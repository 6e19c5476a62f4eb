using Tandem.Engine.Execution;

namespace Tandem.Engine.Tests.Execution;

/// <summary>
/// <c>enable_block_reuse</c>: prompts that start alike take the cached KV blocks of that start instead of computing
/// them, and every token is still the one computed without reuse.
/// </summary>
public class BlockReuseTests
{
    internal const int TokensPerBlock = 8;

    /// <summary>The stories260K engine of these tests: blocks of <see cref="TokensPerBlock"/>, a pool of <paramref name="maxKvTokens"/>.</summary>
    internal static EngineOptions Options(bool reuse, long maxKvTokens = 4096) => new()
    {
        MaxKvTokens = maxKvTokens,
        TokensPerBlock = TokensPerBlock,
        MaxBatchSize = 16,
        MaxNumTokens = 64,
        Threads = 2,
        EnableBlockReuse = reuse,
    };

    /// <summary>A pseudo-random prompt of <paramref name="length"/> tokens starting with BOS; the same seed at a shorter length is its prefix.</summary>
    internal static int[] Prompt(int seed, int length) =>
        [1, .. Enumerable.Range(0, length - 1).Select(i => 3 + ((seed * 131) + (i * 37)) % 490)];

    [Fact]
    public async Task A_repeated_prompt_reuses_all_its_full_blocks_but_the_last_token_and_answers_the_same()
    {
        await using var plain = TestModels.Open(TestModels.Stories, Options(reuse: false));
        await using var reusing = TestModels.Open(TestModels.Stories, Options(reuse: true));
        var prompt = Prompt(1, 41); // 5 full blocks and one token
        var expected = (await plain.GreedyAsync(prompt, 20)).Tokens;

        var first = await reusing.GreedyAsync(prompt, 20);
        var computedBefore = (await reusing.Engine.GetStatsAsync()).PromptTokensComputed;
        var second = await reusing.GreedyAsync(prompt, 20);
        var computedAfter = (await reusing.Engine.GetStatsAsync()).PromptTokensComputed;

        Assert.Equal(expected, first.Tokens);
        Assert.Equal(expected, second.Tokens);
        Assert.Equal(0, first.Metrics!.ReusedBlocks);
        Assert.Equal(5, second.Metrics!.ReusedBlocks);
        Assert.Equal(41 - (5 * TokensPerBlock), computedAfter - computedBefore);
        await reusing.AssertPoolFullAsync();
    }

    [Fact]
    public async Task A_shared_start_is_reused_up_to_where_the_prompts_part()
    {
        await using var plain = TestModels.Open(TestModels.Stories, Options(reuse: false));
        await using var reusing = TestModels.Open(TestModels.Stories, Options(reuse: true));
        var a = Prompt(2, 40);
        int[] b = [.. a.Take(27), .. Prompt(3, 14).Skip(1)]; // the same first 3 blocks and 3 tokens, then other tokens

        await reusing.GreedyAsync(a, 8);
        var reused = await reusing.GreedyAsync(b, 24);

        Assert.Equal((await plain.GreedyAsync(b, 24)).Tokens, reused.Tokens);
        Assert.Equal(3, reused.Metrics!.ReusedBlocks);
        await reusing.AssertPoolFullAsync();
    }

    [Fact]
    public async Task Under_pressure_cached_blocks_are_evicted_and_every_answer_stays_exact()
    {
        // 20 blocks for 12 requests of 5 to 7 blocks each, half of them sharing starts, 4 at a time.
        await using var plain = TestModels.Open(TestModels.Stories, Options(reuse: false));
        await using var reusing = TestModels.Open(TestModels.Stories, Options(reuse: true, maxKvTokens: 20 * TokensPerBlock));
        var prompts = Enumerable.Range(0, 12)
            .Select(i => i % 2 == 0 ? Prompt(10 + i, 30 + i) : [.. Prompt(10 + i - 1, 30 + i - 1).Take(17), .. Prompt(50 + i, 14).Skip(1)])
            .ToArray();
        var expected = new List<List<int>>();
        foreach (var prompt in prompts)
        {
            expected.Add((await plain.GreedyAsync(prompt, 12)).Tokens);
        }

        for (var round = 0; round < 2; round++)
        {
            for (var start = 0; start < prompts.Length; start += 4)
            {
                var batch = await Task.WhenAll(prompts.Skip(start).Take(4).Select(p => reusing.GreedyAsync(p, 12)));
                for (var i = 0; i < batch.Length; i++)
                {
                    Assert.Equal(expected[start + i], batch[i].Tokens);
                }
            }
        }

        await reusing.AssertPoolFullAsync();
    }

    [Fact]
    public async Task A_context_only_request_s_held_blocks_are_reused_while_they_wait_for_their_transfer()
    {
        await using var plain = TestModels.Open(TestModels.Stories, Options(reuse: false));
        await using var reusing = TestModels.Open(TestModels.Stories, Options(reuse: true));
        var prompt = Prompt(3, 41);
        var expected = await plain.GreedyAsync(prompt, 12);

        var held = await reusing.RunAsync(EngineHarness.Greedy("held", prompt, 12, RequestType.ContextOnly));
        var again = await reusing.RunAsync(EngineHarness.Greedy("again", prompt, 12, RequestType.ContextOnly));
        Assert.Equal((0, 5), (held.Metrics!.ReusedBlocks, again.Metrics!.ReusedBlocks));
        Assert.Equal(expected.Tokens[..1], held.Tokens);
        Assert.Equal(expected.Tokens[..1], again.Tokens);

        // Each export, shared blocks included, continues exactly as the KV computed without reuse.
        foreach (var id in new[] { "held", "again" })
        {
            var kv = await reusing.Engine.ExportKvAsync(id);
            var rest = await plain.RunAsync(EngineHarness.Greedy("gen-" + id, prompt, 12, RequestType.GenerationOnly) with { ImportedKv = kv, FirstTokens = held.Tokens });
            Assert.Equal(expected.Tokens, rest.Tokens);
            Assert.True(await reusing.Engine.ReleaseKvAsync(id));
        }

        await reusing.AssertPoolFullAsync();
        await plain.AssertPoolFullAsync();
    }

    [Fact]
    public async Task Placeholder_kv_is_never_offered_for_reuse()
    {
        await using var reusing = TestModels.Open(TestModels.Stories, Options(reuse: true));
        var prompt = Prompt(4, 41);
        var zeros = new Engine.KvCache.KvSnapshot(reusing.Engine.Layout, prompt.Length, new byte[reusing.Engine.Layout.BlocksFor(prompt.Length) * reusing.Engine.Layout.BlockBytes]) { IsPlaceholder = true };
        await reusing.RunAsync(EngineHarness.Greedy("bench", prompt, 4, RequestType.GenerationOnly) with { ImportedKv = zeros, FirstTokens = [7] });

        var real = await reusing.GreedyAsync(prompt, 4);
        Assert.Equal(0, real.Metrics!.ReusedBlocks);
        await using var plain = TestModels.Open(TestModels.Stories, Options(reuse: false));
        Assert.Equal((await plain.GreedyAsync(prompt, 4)).Tokens, real.Tokens);
        await reusing.AssertPoolFullAsync();
    }
}
