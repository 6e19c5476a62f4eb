using Microsoft.Extensions.Logging;
using Tandem.Router.Configuration;

namespace Tandem.Router.Tests.Fakes;

/// <summary>Fake context and generation workers and a real router in front of them, configured through YAML as a user would.</summary>
public sealed class RouterHarness : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;

    private RouterHarness(IReadOnlyList<FakeWorker> context, IReadOnlyList<FakeWorker> generation, RunningRouter router, ListLoggerProvider logs, ILoggerFactory loggerFactory)
    {
        Context = context;
        Generation = generation;
        Router = router;
        Logs = logs;
        _loggerFactory = loggerFactory;
        Http = new HttpClient { BaseAddress = router.Address, Timeout = TimeSpan.FromSeconds(20) };
    }

    public IReadOnlyList<FakeWorker> Context { get; }

    public IReadOnlyList<FakeWorker> Generation { get; }

    public RunningRouter Router { get; }

    public HttpClient Http { get; }

    /// <summary>Everything the router logged.</summary>
    public ListLoggerProvider Logs { get; }

    public static RouterOptions FastOptions { get; } = new()
    {
        ServerStartTimeout = TimeSpan.FromSeconds(5),
        RequestTimeout = TimeSpan.FromSeconds(10),
        RetryDelay = TimeSpan.Zero,
        HealthProbeTimeout = TimeSpan.FromSeconds(2),
    };

    public static async Task<RouterHarness> StartAsync(
        int contextCount = 1, int generationCount = 1, string contextRouter = "{type: round_robin}", string generationRouter = "{type: round_robin}",
        RouterOptions? options = null, int maxRetries = 1, int perfMetricsMaxRequests = 0, TimeProvider? time = null, string model = "fake", string extraYaml = "",
        Action<IReadOnlyList<FakeWorker>, IReadOnlyList<FakeWorker>>? prepare = null)
    {
        var context = await Task.WhenAll(Enumerable.Range(0, contextCount).Select(_ => FakeWorker.StartAsync(time)));
        var generation = await Task.WhenAll(Enumerable.Range(0, generationCount).Select(_ => FakeWorker.StartAsync(time)));
        prepare?.Invoke(context, generation);
        for (var i = 1; i < context.Length; i++)
        {
            context[i].NextCtxRequestId = FakeWorker.CtxRequestId + (1000 * i);
        }

        var yaml = $"""
            hostname: 127.0.0.1
            port: 0
            model: {model}
            max_retries: {maxRetries}
            perf_metrics_max_requests: {perfMetricsMaxRequests}
            context_servers:
              num_instances: {contextCount}
              urls: [{string.Join(", ", context.Select(w => w.ConfigUrl))}]
              router: {contextRouter}
            generation_servers:
              num_instances: {generationCount}
              urls: [{string.Join(", ", generation.Select(w => w.ConfigUrl))}]
              router: {generationRouter}
            {extraYaml}
            """;
        var loaded = RouterConfigLoader.Load(yaml);
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Problems));
        var logs = new ListLoggerProvider();
        var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        var router = await DisaggregatedRouter.StartAsync(loaded.Config, options ?? FastOptions, loggerFactory, time, TestContext.Current.CancellationToken);
        return new RouterHarness(context, generation, router, logs, loggerFactory);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Router.DisposeAsync();
        _loggerFactory.Dispose();
        foreach (var worker in Context.Concat(Generation))
        {
            await worker.DisposeAsync();
        }
    }
}
