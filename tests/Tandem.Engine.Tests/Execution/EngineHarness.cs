using Tandem.Engine.Execution;
using Tandem.Engine.Sampling;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Execution;

/// <summary>An engine over loaded weights, with helpers to run requests to completion and to check the block pool.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private readonly LlamaWeights _weights;
    private int _next;

    public EngineHarness(InferenceEngine engine, LlamaWeights weights)
    {
        Engine = engine;
        _weights = weights;
    }

    public InferenceEngine Engine { get; }

    public static EngineRequest Greedy(string id, IReadOnlyList<int> prompt, int maxTokens, RequestType type = RequestType.ContextAndGeneration) => new()
    {
        Id = id,
        PromptTokens = prompt,
        MaxTokens = maxTokens,
        IgnoreEos = true,
        Type = type,
        Sampling = new SamplingParams { Temperature = 0 },
    };

    public RequestHandle Submit(EngineRequest request)
    {
        var result = Engine.Submit(request);
        Assert.True(result.Accepted, result.Message);
        return result.Handle!;
    }

    public async Task<Outcome> RunAsync(EngineRequest request) => await CollectAsync(Submit(request));

    public async Task<Outcome> GreedyAsync(IReadOnlyList<int> prompt, int maxTokens) =>
        await RunAsync(Greedy($"r{Interlocked.Increment(ref _next)}", prompt, maxTokens));

    public static async Task<Outcome> CollectAsync(RequestHandle handle)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var tokens = new List<int>();
        await foreach (var e in handle.Events.ReadAllAsync(timeout.Token))
        {
            if (e.IsFinal)
            {
                return new Outcome(tokens, e.Finish, e.Message, e.Metrics);
            }

            tokens.Add(e.TokenId);
        }

        throw new InvalidOperationException("stream ended without a final event");
    }

    /// <summary>Waits until the engine is idle, then asserts every KV block is free again.</summary>
    public async Task AssertPoolFullAsync()
    {
        EngineStats stats = await Engine.GetStatsAsync();
        for (var i = 0; i < 200 && (stats.RunningRequests + stats.WaitingRequests + stats.HeldRequests > 0); i++)
        {
            await Task.Delay(10);
            stats = await Engine.GetStatsAsync();
        }

        Assert.Equal(0, stats.RunningRequests + stats.WaitingRequests + stats.HeldRequests);
        Assert.Equal(stats.KvBlocksTotal, stats.KvBlocksFree);
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        _weights.Dispose();
    }

    public sealed record Outcome(List<int> Tokens, FinishReason Finish, string? Message, RequestMetrics? Metrics = null);
}
