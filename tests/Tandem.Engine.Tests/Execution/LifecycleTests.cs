using Microsoft.Extensions.Time.Testing;
using Tandem.Engine.Execution;
using Tandem.Engine.Models;
using Tandem.Engine.Runtime;

namespace Tandem.Engine.Tests.Execution;

/// <summary>Cancellation, exhaustion, limits and leases: clear outcomes, and every block back in the pool.</summary>
public class LifecycleTests
{
    [Fact]
    public async Task Cancelling_mid_generation_ends_the_stream_and_frees_the_blocks()
    {
        await using var h = TestModels.Open(TestModels.TinyGqa);
        var handle = h.Submit(EngineHarness.Greedy("c", [1, 2, 3], 500));
        var seen = 0;
        await foreach (var e in handle.Events.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            if (e.IsFinal)
            {
                Assert.Equal(FinishReason.Cancelled, e.Finish);
                break;
            }

            if (++seen == 3)
            {
                handle.Cancel();
            }
        }

        Assert.InRange(seen, 3, 499);
        await h.AssertPoolFullAsync();
    }

    [Fact]
    public async Task Cancelling_through_the_token_before_it_runs_frees_everything()
    {
        await using var h = TestModels.Open(TestModels.TinyGqa);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var result = h.Engine.Submit(EngineHarness.Greedy("x", [1, 2, 3], 50), cts.Token);
        var outcome = await EngineHarness.CollectAsync(result.Handle!);
        Assert.True(outcome.Finish is FinishReason.Cancelled or FinishReason.Length);
        await h.AssertPoolFullAsync();
    }

    [Fact]
    public async Task An_exhausted_block_pool_makes_requests_wait_and_recompute_without_changing_their_tokens()
    {
        var prompts = BatchInvarianceTests.Prompts(8, 301);
        List<int>[] expected = new List<int>[prompts.Length];
        await using (var roomy = TestModels.Open(TestModels.TinyGqa))
        {
            for (var i = 0; i < prompts.Length; i++)
            {
                expected[i] = (await roomy.GreedyAsync(prompts[i], 40)).Tokens;
            }
        }

        // 8 blocks of 8 tokens: far fewer than 8 requests of up to 80 tokens need at once.
        var config = ModelConfigLoader.Load(TestModels.TinyGqa);
        var blockBytes = config.NumLayers * 2L * 8 * config.NumKvHeads * config.HeadDim * sizeof(float);
        await using var tight = TestModels.Open(TestModels.TinyGqa, new EngineOptions { TokensPerBlock = 8, KvCacheMemoryBytes = 12 * blockBytes, MaxBatchSize = 8, Threads = 2 });
        var runs = prompts.Select((p, i) => tight.RunAsync(EngineHarness.Greedy($"t{i}", p, 40))).ToArray();
        var outcomes = await Task.WhenAll(runs);
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(FinishReason.Length, outcomes[i].Finish);
            Assert.Equal(expected[i], outcomes[i].Tokens);
        }

        var stats = await tight.Engine.GetStatsAsync();
        Assert.True(stats.Preemptions > 0, "the pool was meant to run out");
        await tight.AssertPoolFullAsync();
    }

    [Fact]
    public async Task A_request_longer_than_max_seq_len_or_the_cache_is_refused_with_the_numbers()
    {
        await using var h = TestModels.Open(TestModels.TinyGqa, new EngineOptions { MaxSeqLen = 64, KvCacheMemoryBytes = 16L << 20, Threads = 1 });
        var tooLong = h.Engine.Submit(EngineHarness.Greedy("long", Enumerable.Repeat(5, 60).ToArray(), 10), TestContext.Current.CancellationToken);
        Assert.Equal(SubmitError.Invalid, tooLong.Error);
        Assert.Contains("60 tokens", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("max_tokens (10)", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("max_seq_len (64)", tooLong.Message, StringComparison.Ordinal);

        var empty = h.Engine.Submit(EngineHarness.Greedy("empty", [], 10), TestContext.Current.CancellationToken);
        Assert.Contains("prompt is empty", empty.Message, StringComparison.Ordinal);
        var badToken = h.Engine.Submit(EngineHarness.Greedy("bad", [1, 100000], 10), TestContext.Current.CancellationToken);
        Assert.Contains("outside the vocabulary", badToken.Message, StringComparison.Ordinal);

        var config = ModelConfigLoader.Load(TestModels.TinyGqa);
        var blockBytes = config.NumLayers * 2L * 4 * config.NumKvHeads * config.HeadDim * sizeof(float);
        await using var small = TestModels.Open(TestModels.TinyGqa, new EngineOptions { TokensPerBlock = 4, KvCacheMemoryBytes = 3 * blockBytes, Threads = 1 });
        var bigger = small.Engine.Submit(EngineHarness.Greedy("big", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4), TestContext.Current.CancellationToken);
        Assert.Contains("needs 4 KV blocks but the whole cache holds 3", bigger.Message, StringComparison.Ordinal);
        await h.AssertPoolFullAsync();
        await small.AssertPoolFullAsync();
    }

    [Fact]
    public async Task A_full_waiting_queue_refuses_with_queue_full()
    {
        await using var h = TestModels.Open(TestModels.TinyGqa, new EngineOptions { MaxWaitingRequests = 0, KvCacheMemoryBytes = 16L << 20, Threads = 1 });
        var result = h.Engine.Submit(EngineHarness.Greedy("q", [1, 2], 2), TestContext.Current.CancellationToken);
        Assert.Equal(SubmitError.QueueFull, result.Error);
        await h.AssertPoolFullAsync();
    }

    [Fact]
    public async Task Held_context_blocks_are_freed_when_the_lease_expires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var h = TestModels.Open(TestModels.TinyGqa, new EngineOptions { HeldKvTimeout = TimeSpan.FromSeconds(5), KvCacheMemoryBytes = 16L << 20, Threads = 1 }, time);
        var first = await h.RunAsync(EngineHarness.Greedy("ctx", [1, 2, 3, 4], 8, RequestType.ContextOnly));
        Assert.Equal(FinishReason.ContextDone, first.Finish);
        var held = await h.Engine.GetStatsAsync();
        Assert.Equal(1, held.HeldRequests);
        Assert.True(held.KvBlocksFree < held.KvBlocksTotal);

        time.Advance(TimeSpan.FromSeconds(6));
        await h.AssertPoolFullAsync();
        Assert.Null(await h.Engine.ExportKvAsync("ctx"));
    }

    [Fact]
    public async Task A_duplicate_request_id_is_refused_and_the_first_goes_on()
    {
        await using var h = TestModels.Open(TestModels.TinyGqa);
        var first = h.Submit(EngineHarness.Greedy("same", [1, 2, 3], 30));
        var second = await EngineHarness.CollectAsync(h.Submit(EngineHarness.Greedy("same", [1, 2, 3], 30)));
        Assert.Equal(FinishReason.Rejected, second.Finish);
        Assert.Contains("already running", second.Message, StringComparison.Ordinal);
        var outcome = await EngineHarness.CollectAsync(first);
        Assert.Equal(30, outcome.Tokens.Count);
        await h.AssertPoolFullAsync();
    }

    [Fact]
    public void A_directory_without_a_model_gives_one_clear_error()
    {
        var dir = Directory.CreateTempSubdirectory("tandem-empty-").FullName;
        try
        {
            var error = Assert.ThrowsAny<Exception>(() => LocalModel.Load(dir, new EngineOptions()));
            Assert.Contains("config.json", error.Message, StringComparison.Ordinal);
            Assert.Contains(dir, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
