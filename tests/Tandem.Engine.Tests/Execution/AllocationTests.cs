using Tandem.Engine.Execution;
using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Execution;

/// <summary>Steady-state decoding allocates nothing on the engine thread: scheduling, forward pass, sampling and events.</summary>
public class AllocationTests
{
    [Theory]
    [InlineData(1, WeightQuantization.None)]
    [InlineData(4, WeightQuantization.None)]
    [InlineData(4, WeightQuantization.Int4)]
    [InlineData(1, WeightQuantization.Int8)]
    [InlineData(1, WeightQuantization.None, true)]
    [InlineData(7, WeightQuantization.None, true)]
    public async Task Decode_steps_allocate_nothing_once_every_request_is_decoding(int requests, WeightQuantization quantization, bool amxTiles = false)
    {
        // fp32 weights, the block types' kernels (Q8_0 / Q4_0 made at load), or the BF16 copy on AMX tiles.
        if (amxTiles)
        {
            AmxTests.RequireAmx();
        }

        await using var h = amxTiles ? TestModels.Open(TestModels.StoriesBf16, amxTiles: true) : Open(quantization);
        var handles = Enumerable.Range(0, requests)
            .Select(i => h.Submit(EngineHarness.Greedy($"a{i}", [1, 403 + i, 407, 261, 378], 500)))
            .ToArray();

        // Readers drain the streams as a server would, counting each request's tokens.
        var counts = new int[requests];
        var readers = handles.Select((handle, i) => DrainAsync(handle, counts, i)).ToArray();

        // Warm-up: every request decoding (on a loaded host the engine may run many steps for the
        // first request before the others arrive, and their prompts still grow buffers), then 60 steps.
        for (var i = 0; i < 20_000 && counts.Min() == 0; i++)
        {
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        Assert.True(counts.Min() > 0, "not every request started decoding");
        var before = await WaitForStepsAsync(h.Engine, (await h.Engine.GetStatsAsync()).Steps + 60);
        var after = await WaitForStepsAsync(h.Engine, before.Steps + 200);

        Assert.Equal(requests, after.RunningRequests);
        Assert.True(after.AllocationCountedSteps - before.AllocationCountedSteps >= 50, $"only {after.AllocationCountedSteps - before.AllocationCountedSteps} of 200 steps ran without a garbage-collection pause");
        Assert.Equal(0, after.StepAllocatedBytes - before.StepAllocatedBytes);
        foreach (var handle in handles)
        {
            handle.Cancel();
        }

        await Task.WhenAll(readers);
        await h.AssertPoolFullAsync();
    }

    private static EngineHarness Open(WeightQuantization quantization)
    {
        var config = ModelConfigLoader.Load(TestModels.Stories);
        var (weights, _) = LoadTimeQuantizer.Apply(LlamaWeightsLoader.Load(TestModels.Stories, config), quantization);
        var engine = new InferenceEngine(
            config,
            weights,
            new EngineOptions { KvCacheMemoryBytes = 16L << 20, MaxBatchSize = 16, Threads = 2 },
            $"stories260K-{quantization.Name()}");
        return new EngineHarness(engine, weights);
    }

    private static async Task DrainAsync(RequestHandle handle, int[] counts, int index)
    {
        await foreach (var e in handle.Events.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            if (e.IsFinal)
            {
                return;
            }

            Interlocked.Increment(ref counts[index]);
        }
    }

    private static async Task<EngineStats> WaitForStepsAsync(InferenceEngine engine, long steps)
    {
        for (var i = 0; i < 20_000; i++)
        {
            var stats = await engine.GetStatsAsync();
            if (stats.Steps >= steps)
            {
                return stats;
            }

            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException($"the engine did not reach {steps} steps");
    }
}
