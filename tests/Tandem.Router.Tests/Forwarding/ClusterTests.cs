using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Router.Configuration;
using Tandem.Router.Tests.Fakes;

namespace Tandem.Router.Tests.Forwarding;

/// <summary>Policies over real requests, the info endpoints, startup and the aggregated and mixed topologies.</summary>
public sealed class ClusterTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private const string Completion = """{"model":"fake","prompt":"Tell a story","max_tokens":8}""";

    private static async Task<HttpStatusCode> PostAsync(HttpClient http, string body = Completion)
    {
        using var response = await http.PostAsync("/v1/completions", new StringContent(body, Encoding.UTF8, "application/json"), Cancel);
        return response.StatusCode;
    }

    [Fact]
    public async Task RoundRobinAlternatesBetweenContextServers()
    {
        await using var harness = await RouterHarness.StartAsync(contextCount: 2);
        var order = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            var before = harness.Context.Select(w => w.Requests.Count).ToList();
            Assert.Equal(HttpStatusCode.OK, await PostAsync(harness.Http));
            order.Add(Enumerable.Range(0, 2).Single(j => harness.Context[j].Requests.Count > before[j]));
        }

        Assert.Equal([0, 1, 0, 1], order);
        Assert.Equal(4, harness.Generation[0].Requests.Count);
    }

    [Fact]
    public async Task LoadBalancingSendsToTheIdleServerWhileOneIsBusy()
    {
        await using var harness = await RouterHarness.StartAsync(generationCount: 2, generationRouter: "{type: load_balancing}");
        foreach (var worker in harness.Generation)
        {
            worker.GenerationTokens = Enumerable.Repeat(" w", 100).ToList();
            worker.ChunkDelay = TimeSpan.FromMilliseconds(20);
        }

        // A slow streaming request keeps one server busy; every request meanwhile goes to the other one.
        using var slow = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent("""{"model":"fake","prompt":"x","stream":true}""", Encoding.UTF8, "application/json") };
        using var slowResponse = await harness.Http.SendAsync(slow, HttpCompletionOption.ResponseHeadersRead, Cancel);
        var busy = harness.Generation.Single(w => w.Requests.Count == 1);
        var idle = harness.Generation.Single(w => w != busy);
        idle.ChunkDelay = TimeSpan.Zero;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await PostAsync(harness.Http));
        }

        Assert.Single(busy.Requests);
        Assert.Equal(3, idle.Requests.Count);
    }

    [Fact]
    public async Task HealthListsTheServerThatIsDown()
    {
        await using var harness = await RouterHarness.StartAsync(contextCount: 2);
        using (var healthy = await harness.Http.GetAsync("/health", Cancel))
        {
            Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        }

        harness.Context[1].Health = HttpStatusCode.ServiceUnavailable;
        using var unhealthy = await harness.Http.GetAsync("/health", Cancel);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);
        var report = JsonNode.Parse(await unhealthy.Content.ReadAsStringAsync(Cancel))!;
        Assert.Equal("unhealthy", report["status"]!.GetValue<string>());
        var failing = report["servers"]!.AsArray().Where(s => !s!["healthy"]!.GetValue<bool>()).ToList();
        var down = Assert.Single(failing)!;
        Assert.Contains(harness.Context[1].Name, down["url"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("503", down["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelsClusterInfoVersionAndMetrics()
    {
        await using var harness = await RouterHarness.StartAsync();
        Assert.Equal(HttpStatusCode.OK, await PostAsync(harness.Http));

        var models = JsonNode.Parse(await harness.Http.GetStringAsync("/v1/models", Cancel))!;
        Assert.Equal("fake", models["data"]![0]!["id"]!.GetValue<string>());
        var info = JsonNode.Parse(await harness.Http.GetStringAsync("/cluster_info", Cancel))!;
        Assert.True(info["is_ready"]!.GetValue<bool>());
        Assert.Equal(1, info["generation_servers"]![0]!["requests"]!.GetValue<int>());
        Assert.Equal(0, info["generation_servers"]![0]!["active_requests"]!.GetValue<int>());
        Assert.NotNull(JsonNode.Parse(await harness.Http.GetStringAsync("/version", Cancel))!["version"]);
        var metrics = await harness.Http.GetStringAsync("/metrics", Cancel);
        Assert.Contains("tandem_router_requests_total{outcome=\"completed\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("tandem_router_leg_duration_seconds_count{leg=\"context\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("tandem_router_leg_duration_seconds_count{leg=\"generation\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("tandem_router_requests_total{outcome=\"completed\"} 1", await harness.Http.GetStringAsync("/prometheus/metrics", Cancel), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartupFailsNamingTheServerThatNeverBecameHealthy()
    {
        await using var sick = await FakeWorker.StartAsync();
        await using var well = await FakeWorker.StartAsync();
        sick.Health = HttpStatusCode.ServiceUnavailable;
        var config = Load($"context_servers: {{urls: [\"{well.ConfigUrl}\"]}}\ngeneration_servers: {{urls: [\"{sick.ConfigUrl}\"]}}");
        var error = await Assert.ThrowsAsync<RouterStartException>(() => DisaggregatedRouter.StartAsync(
            config, RouterHarness.FastOptions with { ServerStartTimeout = TimeSpan.FromMilliseconds(300) }, cancellationToken: Cancel));
        Assert.Contains(sick.Name, error.Message, StringComparison.Ordinal);
        Assert.Contains("503", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(well.Name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AggregatedModeSendsTheRequestWholeToAGenerationServer()
    {
        await using var generation = await FakeWorker.StartAsync();
        var config = Load($"context_servers: {{num_instances: 0}}\ngeneration_servers: {{urls: [\"{generation.ConfigUrl}\"]}}");
        await using var router = await DisaggregatedRouter.StartAsync(config, RouterHarness.FastOptions, cancellationToken: Cancel);
        using var http = new HttpClient { BaseAddress = router.Address };
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http));
        var (_, body) = Assert.Single(generation.Requests);
        Assert.Null(body["disaggregated_params"]);
        Assert.Equal("Tell a story", body["prompt"]!.GetValue<string>());
    }

    [Fact]
    public async Task MixedServerTakesBothLegs()
    {
        await using var mixed = await FakeWorker.StartAsync();
        var config = Load($"context_servers: {{urls: [\"{mixed.ConfigUrl}\"]}}\ngeneration_servers: {{urls: [\"{mixed.ConfigUrl}\"]}}");
        await using var router = await DisaggregatedRouter.StartAsync(config, RouterHarness.FastOptions, cancellationToken: Cancel);
        using var http = new HttpClient { BaseAddress = router.Address };
        Assert.Equal(HttpStatusCode.OK, await PostAsync(http));
        Assert.Equal((1, 1), (mixed.Count("context_only"), mixed.Count("generation_only")));
    }

    private static RouterConfig Load(string yaml)
    {
        var result = RouterConfigLoader.Load("hostname: 127.0.0.1\nport: 0\n" + yaml);
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        return result.Config;
    }
}
