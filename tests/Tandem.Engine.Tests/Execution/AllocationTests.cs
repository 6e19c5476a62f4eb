using Tandem.Engine.Execution;

namespace Tandem.Engine.Tests.Execution;

/// <summary>Steady-state decoding allocates nothing on the engine thread: scheduling, forward pass, sampling and events.</summary>
public class AllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Decode_steps_allocate_nothing_once_every_request_is_decoding(int requests)
    {
        await using var h = TestModels.Open(TestModels.Stories);
        var handles = Enumerable.Range(0, requests)
            .Select(i => h.Submit(EngineHarness.Greedy($"a{i}", [1, 403 + i, 407, 261, 378], 500)))
            .ToArray();

        // Readers drain the streams as a server would, so events never pile up in the channels.
        var readers = handles.Select(EngineHarness.CollectAsync).ToArray();

        // Warm-up: past the prompts and 60 decode steps (lists and pools have grown by then).
        var before = await WaitForStepsAsync(h.Engine, 60);
        var after = await WaitForStepsAsync(h.Engine, before.Steps + 200);

        Assert.Equal(requests, after.RunningRequests);
        Assert.Equal(0, after.StepAllocatedBytes - before.StepAllocatedBytes);
        foreach (var handle in handles)
        {
            handle.Cancel();
        }

        await Task.WhenAll(readers);
        await h.AssertPoolFullAsync();
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
