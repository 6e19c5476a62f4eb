using System.Globalization;
using System.Text;

namespace Tandem.Server.Tests.Endpoints;

/// <summary>The latency histograms read the server's injected clock, not the machine's.</summary>
public sealed class LatencyMetricsTests
{
    [Fact]
    public async Task Time_to_first_token_and_end_to_end_latency_are_measured_on_the_injected_clock()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new LeapingClock();
        await using var worker = await WorkerServer.StartAsync(WorkerFixture.Settings(SharedData.Require("models", "stories260K")), timeProvider: clock, cancellationToken: ct);
        using var http = new HttpClient { BaseAddress = worker.Address };
        using var response = await http.PostAsync("/v1/completions", new StringContent("""{"model":"stories260K","prompt":"hi","max_tokens":3}""", Encoding.UTF8, "application/json"), ct);
        response.EnsureSuccessStatusCode();

        // Each reading of the clock moves it 100 s on, so a request that took milliseconds of real
        // time reads as at least 100 s to its first token, and more to its end.
        var metrics = await http.GetStringAsync("/metrics", ct);
        Assert.True(Sum(metrics, "tandem_time_to_first_token_seconds_sum") >= 100, metrics);
        Assert.True(Sum(metrics, "tandem_e2e_request_latency_seconds_sum") >= 200, metrics);
        Assert.True(Sum(metrics, "tandem_inter_token_latency_seconds_sum") >= 100, metrics);

        // TensorRT-LLM's path serves the same exposition.
        var prometheus = await http.GetStringAsync("/prometheus/metrics", ct);
        Assert.Equal(Sum(metrics, "tandem_e2e_request_latency_seconds_sum"), Sum(prometheus, "tandem_e2e_request_latency_seconds_sum"));
    }

    private static double Sum(string metrics, string name)
    {
        var line = metrics.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal));
        return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>A clock whose every timestamp is 100 s after the one before.</summary>
    private sealed class LeapingClock : TimeProvider
    {
        private long _ticks;

        public override long GetTimestamp() => Interlocked.Add(ref _ticks, 100 * TimestampFrequency);
    }
}
