using System.Text.Json;
using Tandem.Router.Benchmarking;

namespace Tandem.Router.Tests.Benchmarking;

public class ServeBenchmarkTests
{
    private static readonly string[] ExpectedKeys =
    [
        "completed", "failed", "duration", "total_input_tokens", "total_output_tokens", "request_throughput", "request_goodput",
        "output_throughput", "total_token_throughput", "mean_ttft_ms", "median_ttft_ms", "std_ttft_ms", "p90_ttft_ms", "p99_ttft_ms",
        "mean_tpot_ms", "median_tpot_ms", "p99_tpot_ms", "mean_itl_ms", "median_itl_ms", "p99_itl_ms", "mean_e2el_ms", "median_e2el_ms",
        "p99_e2el_ms", "ttfts", "itls", "input_lens", "output_lens", "errors", "model_id", "request_rate", "burstiness", "max_concurrency",
    ];

    [Fact]
    public async Task Random_completions_run_counts_tokens_and_times_every_chunk()
    {
        await using var server = await FakeStreamingServer.StartAsync();
        using var http = new HttpClient();
        var options = new ServeBenchOptions
        {
            BaseUrl = server.Address,
            NumPrompts = 12,
            RandomInputLen = 20,
            RandomOutputLen = 6,
            RandomRangeRatio = 0.5,
            MaxConcurrency = 4,
            NumWarmups = 2,
            Goodput = GoodputSlo.Parse(["ttft:10000", "tpot:10000"]),
        };
        var progress = new List<int>();
        var result = await ServeBenchmark.RunAsync(options, http, TimeProvider.System, (done, _) => { lock (progress) { progress.Add(done); } }, TestContext.Current.CancellationToken);

        var m = result.Metrics;
        Assert.Equal("fake-model", result.Model);
        Assert.Equal(12, m.Completed);
        Assert.Equal(0, m.Failed);
        Assert.Equal(1 + 2 + 12, server.Requests);
        var measured = server.Bodies.Skip(3).ToList();
        Assert.Equal(measured.Sum(b => b["prompt"]!.AsArray().Count), m.TotalInputTokens);
        Assert.Equal(measured.Sum(b => (int)b["max_tokens"]!), m.TotalOutputTokens);
        Assert.All(server.Bodies, b =>
        {
            Assert.True((bool)b["stream"]!);
            Assert.True((bool)b["stream_options"]!["include_usage"]!);
            Assert.True((bool)b["ignore_eos"]!);
            Assert.Equal("fake-model", (string)b["model"]!);
            Assert.All(b["prompt"]!.AsArray(), id => Assert.InRange((int)id!, 10, 999));
        });
        Assert.All(result.Outcomes, o =>
        {
            Assert.InRange(o.OutputTokens, 3, 9);
            Assert.Equal(o.OutputTokens - 1, o.Itls.Count);
            Assert.True(o.Ttft >= 0.004, $"ttft {o.Ttft}");
            // The server sleeps 5 ms before each chunk, but TCP may deliver two chunks together, so a single
            // gap can be near zero; only the span from the start to the last chunk is bounded by the sleeps.
            Assert.All(o.Itls, itl => Assert.True(itl >= 0, $"itl {itl}"));
            Assert.True(o.Ttft + o.Itls.Sum() >= 0.004 * o.OutputTokens, $"ttft {o.Ttft} + itls {o.Itls.Sum()} for {o.OutputTokens} tokens");
            Assert.True(o.Latency >= o.Ttft + o.Itls.Sum() - 1e-9);
        });
        Assert.True(m.Itl.MeanMs > 0, $"mean ITL {m.Itl.MeanMs} ms");
        Assert.Equal(m.RequestThroughput, m.RequestGoodput!.Value, 9);
        Assert.Equal(12, progress.Count);
        Assert.Equal(12, progress.Max());

        using var stream = new MemoryStream();
        ResultJson.Write(stream, result);
        using var json = JsonDocument.Parse(stream.ToArray());
        var root = json.RootElement;
        Assert.All(ExpectedKeys, key => Assert.True(root.TryGetProperty(key, out _), $"missing {key}"));
        Assert.Equal(12, root.GetProperty("completed").GetInt32());
        Assert.Equal(m.TotalOutputTokens, root.GetProperty("total_output_tokens").GetInt64());
        Assert.Equal("inf", root.GetProperty("request_rate").GetString());
        Assert.Equal(12, root.GetProperty("ttfts").GetArrayLength());
        Assert.Equal(12, root.GetProperty("itls").GetArrayLength());
        Assert.All(root.GetProperty("errors").EnumerateArray(), e => Assert.Equal(string.Empty, e.GetString()));

        var table = ReportTable.Format(result);
        Assert.Contains("Successful requests:", table);
        Assert.Contains("P99 ITL (ms):", table);
        Assert.Contains("Request goodput (req/s):", table);
        var html = HtmlReport.Render(result);
        Assert.Equal(4, html.Split("<svg").Length - 1);
        Assert.DoesNotContain("<script", html);
    }

    [Fact]
    public async Task Chat_at_a_request_rate_records_failures_without_stopping()
    {
        await using var server = await FakeStreamingServer.StartAsync();
        server.FailEvery = 4;
        server.ChunkDelay = TimeSpan.FromMilliseconds(1);
        using var http = new HttpClient();
        var options = new ServeBenchOptions
        {
            BaseUrl = server.Address,
            Model = "given",
            Endpoint = "/v1/chat/completions",
            NumPrompts = 10,
            RandomInputLen = 8,
            RandomOutputLen = 3,
            RequestRate = 200,
            Burstiness = 0.5,
        };
        var result = await ServeBenchmark.RunAsync(options, http, TimeProvider.System, null, TestContext.Current.CancellationToken);

        // Request 1 is the test run; of 2..11 the 4th and 8th fail.
        Assert.Equal(8, result.Metrics.Completed);
        Assert.Equal(2, result.Metrics.Failed);
        Assert.Equal(8 * 3, result.Metrics.TotalOutputTokens);
        Assert.Equal(8 * 8, result.Metrics.TotalInputTokens);
        Assert.All(result.Outcomes.Where(o => !o.Success), o => Assert.StartsWith("HTTP 500", o.Error, StringComparison.Ordinal));
        Assert.All(result.Outcomes.Where(o => o.Success), o => Assert.Equal(2, o.Itls.Count));
        Assert.All(server.Bodies, b => Assert.Equal("given", (string)b["model"]!));
        Assert.All(server.Bodies, b => Assert.Equal(8, ((string)b["messages"]![0]!["content"]!).Split(' ').Length));
        Assert.True(result.Outcomes.Max(o => o.StartOffset) > 0, "arrivals were spread out");
    }

    [Fact]
    public async Task A_failing_test_request_stops_the_run()
    {
        await using var server = await FakeStreamingServer.StartAsync();
        server.FailEvery = 1;
        using var http = new HttpClient();
        var options = new ServeBenchOptions { BaseUrl = server.Address, NumPrompts = 3, RandomInputLen = 4, RandomOutputLen = 2 };
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ServeBenchmark.RunAsync(options, http, TimeProvider.System, null, TestContext.Current.CancellationToken));
        Assert.Contains("HTTP 500", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Requests);
    }
}
