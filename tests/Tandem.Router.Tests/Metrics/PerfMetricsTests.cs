using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Tandem.Router.Metrics;
using Tandem.Router.Tests.Fakes;

namespace Tandem.Router.Tests.Metrics;

/// <summary><c>GET /perf_metrics</c> end to end: the router's records joined with what fake workers hand out.</summary>
public sealed class PerfMetricsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static async Task RunAsync(RouterHarness harness, bool chat, bool stream)
    {
        var body = chat
            ? new JsonObject { ["model"] = "fake", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Tell a story" }), ["max_tokens"] = 16, ["stream"] = stream }
            : new JsonObject { ["model"] = "fake", ["prompt"] = "Tell a story", ["max_tokens"] = 16, ["stream"] = stream };
        using var response = await harness.Http.PostAsync(chat ? "/v1/chat/completions" : "/v1/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync(Cancel);
    }

    private static async Task<List<JsonObject>> PerfMetricsAsync(RouterHarness harness)
    {
        using var response = await harness.Http.GetAsync("/perf_metrics", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!.AsArray().Select(n => n!.AsObject()).ToList();
    }

    private static long CtxRequestId(JsonNode? item) => item!["ctx_request_id"]!.GetValue<long>();

    private static double Timing(JsonNode? item, string name) => item!["perf_metrics"]!["timing_metrics"]![name]!.GetValue<double>();

    private static IEnumerable<FakeWorker> Workers(RouterHarness harness) => harness.Context.Concat(harness.Generation);

    [Fact]
    public async Task OffAnswersAnEmptyListWithoutAskingTheWorkers()
    {
        await using var harness = await RouterHarness.StartAsync();
        await RunAsync(harness, chat: false, stream: false);

        using var response = await harness.Http.GetAsync("/perf_metrics", Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[]", await response.Content.ReadAsStringAsync(Cancel));
        Assert.All(Workers(harness), w => Assert.Equal((0, 0), (w.PerfMetrics.Fetches, w.PerfMetrics.ClockReads)));
    }

    [Fact]
    public async Task EveryRequestThatRanBothLegsComesOutOnceWithItsWorkersItems()
    {
        await using var harness = await RouterHarness.StartAsync(contextCount: 2, generationCount: 2, perfMetricsMaxRequests: 100);
        (bool Chat, bool Stream)[] requests = [(false, false), (false, true), (true, false), (true, true), (false, true)];
        foreach (var (chat, stream) in requests)
        {
            await RunAsync(harness, chat, stream);
        }

        var items = await PerfMetricsAsync(harness);

        Assert.Equal(requests.Length, items.Count);
        foreach (var item in items)
        {
            var context = Assert.Single(harness.Context, w => w.Name == item["ctx_server"]!.GetValue<string>());
            var generation = Assert.Single(harness.Generation, w => w.Name == item["gen_server"]!.GetValue<string>());
            var ctxItem = item["ctx_perf_metrics"];
            var genItem = item["gen_perf_metrics"];
            var id = CtxRequestId(genItem);
            Assert.Equal(id, CtxRequestId(ctxItem));
            Assert.StartsWith("cmpl-ctx-", ctxItem!["request_id"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(4096, genItem!["perf_metrics"]!["timing_metrics"]!["kv_cache_size"]!.GetValue<int>());
            Assert.Equal(2, genItem["perf_metrics"]!["kv_cache_metrics"]!["num_total_allocated_blocks"]!.GetValue<int>());
            Assert.Contains(generation.Requests, r => r.Body["disaggregated_params"]?["ctx_request_id"]?.GetValue<long>() == id);
            var firstIdOfContext = FakeWorker.CtxRequestId + (1000 * harness.Context.ToList().IndexOf(context));
            Assert.InRange(id, firstIdOfContext, context.NextCtxRequestId - 1);
            Assert.True(
                item["disagg_server_arrival_time"]!.GetValue<double>() <= item["disagg_server_first_token_time"]!.GetValue<double>(),
                item.ToJsonString());
        }

        Assert.Equal(items.Count, items.Select(i => (i["ctx_server"]!.GetValue<string>(), CtxRequestId(i["gen_perf_metrics"]))).Distinct().Count());
        Assert.Empty(await PerfMetricsAsync(harness));
    }

    [Fact]
    public async Task RequestWhoseGenerationItemIsNotThereYetComesOutOnALaterCall()
    {
        await using var harness = await RouterHarness.StartAsync(perfMetricsMaxRequests: 100);
        var generation = harness.Generation[0].PerfMetrics;
        generation.Hold = true;
        await RunAsync(harness, chat: false, stream: true);
        await RunAsync(harness, chat: true, stream: false);

        Assert.Empty(await PerfMetricsAsync(harness));
        Assert.Equal(0, harness.Context[0].PerfMetrics.Queued);

        generation.Hold = false;
        var items = await PerfMetricsAsync(harness);
        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal(CtxRequestId(i["gen_perf_metrics"]), CtxRequestId(i["ctx_perf_metrics"])));
        Assert.Empty(await PerfMetricsAsync(harness));
    }

    [Fact]
    public async Task EveryCallAlignsEachWorkersClockWithTheOffsetThatUndoesItsSkew()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(3));
        await using var harness = await RouterHarness.StartAsync(perfMetricsMaxRequests: 100, time: time);
        harness.Context[0].PerfMetrics.Skew = 1000;
        harness.Generation[0].PerfMetrics.Skew = -250;
        await RunAsync(harness, chat: false, stream: false);

        var item = Assert.Single(await PerfMetricsAsync(harness));
        Assert.Empty(await PerfMetricsAsync(harness));
        Assert.Empty(await PerfMetricsAsync(harness));

        Assert.All(harness.Context[0].PerfMetrics.ReceivedOffsets, o => Assert.Equal(-1000, o, 6));
        Assert.All(harness.Generation[0].PerfMetrics.ReceivedOffsets, o => Assert.Equal(250, o, 6));
        Assert.All(Workers(harness), w => Assert.Equal((3, 3 * WorkerClocks.Exchanges), (w.PerfMetrics.ReceivedOffsets.Count, w.PerfMetrics.ClockReads)));
        var routerTime = item["disagg_server_first_token_time"]!.GetValue<double>();
        Assert.Equal(routerTime, Timing(item["ctx_perf_metrics"], "last_token_time"), 6);
        Assert.Equal(routerTime, Timing(item["gen_perf_metrics"], "last_token_time"), 6);
        Assert.Single(harness.Logs.Lines, l => l.Level == LogLevel.Information && l.Message.Contains(harness.Context[0].Name, StringComparison.Ordinal) && l.Message.Contains("offset 1000 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheExchangeWithTheShortestRoundTripGivesTheOffset()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(3));
        await using var harness = await RouterHarness.StartAsync(perfMetricsMaxRequests: 100, time: time);
        var generation = harness.Generation[0].PerfMetrics;
        generation.Skew = 40;

        // The first request to the worker takes 200 ms on its way there and none back: alone, its offset would be 100 ms off.
        generation.BeforeFirstClockRead = () => time.Advance(TimeSpan.FromMilliseconds(200));
        await RunAsync(harness, chat: true, stream: true);

        Assert.Single(await PerfMetricsAsync(harness));
        Assert.Equal(-40, Assert.Single(generation.ReceivedOffsets), 6);
    }

    [Fact]
    public async Task WorkerWhoseClockCannotBeAlignedIsSkippedAndTriedAgainOnTheNextCall()
    {
        await using var harness = await RouterHarness.StartAsync(perfMetricsMaxRequests: 100);
        var generation = harness.Generation[0];
        generation.PerfMetrics.FailClock = true;
        await RunAsync(harness, chat: true, stream: true);

        Assert.Empty(await PerfMetricsAsync(harness));
        Assert.Equal(0, generation.PerfMetrics.Fetches);
        Assert.Contains(harness.Logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains(generation.Name, StringComparison.Ordinal) && l.Message.Contains("align", StringComparison.Ordinal));

        generation.PerfMetrics.FailClock = false;
        Assert.Single(await PerfMetricsAsync(harness));
        Assert.Equal(1 + WorkerClocks.Exchanges, generation.PerfMetrics.ClockReads);
        Assert.Single(generation.PerfMetrics.ReceivedOffsets);
        Assert.Equal(2, harness.Context[0].PerfMetrics.ReceivedOffsets.Count);
    }

    [Fact]
    public async Task WorkerThatFailsIsLoggedAndSkippedWhileTheOthersAnswer()
    {
        var options = RouterHarness.FastOptions with { PerfMetricsTimeout = TimeSpan.FromMilliseconds(500) };
        await using var harness = await RouterHarness.StartAsync(generationCount: 2, perfMetricsMaxRequests: 100, options: options);
        var (healthy, failing) = (harness.Generation[0], harness.Generation[1]);
        for (var i = 0; i < 4; i++)
        {
            await RunAsync(harness, chat: i % 2 == 0, stream: i >= 2);
        }

        var served = harness.Generation.Select(w => w.Count("generation_only")).ToList();
        Assert.All(served, n => Assert.True(n > 0));

        failing.PerfMetrics.Fault = PerfMetricsFault.Status500;
        var items = await PerfMetricsAsync(harness);
        Assert.Equal(served[0], items.Count);
        Assert.All(items, i => Assert.Equal(healthy.Name, i["gen_server"]!.GetValue<string>()));
        Assert.Contains(harness.Logs.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains(failing.Name, StringComparison.Ordinal) && l.Message.Contains("500", StringComparison.Ordinal));

        failing.PerfMetrics.Fault = PerfMetricsFault.Garbage;
        Assert.Empty(await PerfMetricsAsync(harness));
        Assert.Contains(harness.Logs.Lines, l => l.Message.Contains(failing.Name, StringComparison.Ordinal) && l.Message.Contains("malformed JSON", StringComparison.Ordinal));

        failing.PerfMetrics.Fault = PerfMetricsFault.Hang;
        var clock = Stopwatch.StartNew();
        Assert.Empty(await PerfMetricsAsync(harness));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Contains(harness.Logs.Lines, l => l.Message.Contains(failing.Name, StringComparison.Ordinal) && l.Message.Contains("no answer within", StringComparison.Ordinal));

        failing.PerfMetrics.Fault = PerfMetricsFault.None;
        items = await PerfMetricsAsync(harness);
        Assert.Equal(served[1], items.Count);
        Assert.All(items, i => Assert.Equal(failing.Name, i["gen_server"]!.GetValue<string>()));
        Assert.All(items, i => Assert.NotNull(i["ctx_perf_metrics"]));
    }

    /// <summary>Two generation servers, so their items (kept up to 2 per server) outlive the records pushed out.</summary>
    [Fact]
    public async Task OnlyTheNewestRecordsAreKept()
    {
        await using var harness = await RouterHarness.StartAsync(generationCount: 2, perfMetricsMaxRequests: 2);
        for (var i = 0; i < 5; i++)
        {
            await RunAsync(harness, chat: false, stream: i % 2 == 0);
        }

        var items = await PerfMetricsAsync(harness);

        var last = harness.Context[0].NextCtxRequestId - 1;
        Assert.Equal([last - 1, last], items.Select(i => CtxRequestId(i["gen_perf_metrics"])).Order());
        Assert.Empty(await PerfMetricsAsync(harness));
    }
}
