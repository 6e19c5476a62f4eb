using Tandem.Router.Benchmarking;

namespace Tandem.Router.Tests.Benchmarking;

public class StatisticsTests
{
    [Fact]
    public void Percentiles_interpolate_linearly_between_ranks_like_numpy()
    {
        double[] values = [4, 1, 3, 2];
        Assert.Equal(2.5, LatencyStats.Median(values), 12);
        Assert.Equal(3.7, LatencyStats.Percentile(values, 90), 12);
        Assert.Equal(3.97, LatencyStats.Percentile(values, 99), 12);
        Assert.Equal(1, LatencyStats.Percentile(values, 0), 12);
        Assert.Equal(4, LatencyStats.Percentile(values, 100), 12);
        double[] ten = [.. Enumerable.Range(1, 10).Select(i => (double)i)];
        Assert.Equal(9.91, LatencyStats.Percentile(ten, 99), 12);
        Assert.Equal(9.1, LatencyStats.Percentile(ten, 90), 12);
    }

    [Fact]
    public void Mean_and_population_standard_deviation()
    {
        double[] values = [2, 4, 4, 4, 5, 5, 7, 9];
        Assert.Equal(5, LatencyStats.Mean(values), 12);
        Assert.Equal(2, LatencyStats.StdDev(values), 12);
    }

    [Fact]
    public void No_samples_give_zero()
    {
        Assert.Equal(0, LatencyStats.Mean([]));
        Assert.Equal(0, LatencyStats.Median([]));
        Assert.Equal(0, LatencyStats.Percentile([], 99));
        Assert.Equal(0, LatencyStats.StdDev([]));
    }

    [Fact]
    public void Percentile_key_words_follow_vllm()
    {
        Assert.Equal("99", MetricSummary.PercentileWord(99));
        Assert.Equal("99.9", MetricSummary.PercentileWord(99.9));
    }

    [Fact]
    public void Metrics_count_only_completed_requests_and_tpot_excludes_the_first_token()
    {
        RequestOutcome[] outcomes =
        [
            new() { Ttft = 0.1, Latency = 1.1, InputLen = 10, OutputTokens = 11, Itls = [0.1, 0.1] },
            new() { Ttft = 0.3, Latency = 0.3, InputLen = 20, OutputTokens = 1 },
            new() { Error = "HTTP 500", InputLen = 30 },
        ];
        var m = BenchmarkMetrics.Compute(outcomes, 2.0, null, [99]);
        Assert.Equal(2, m.Completed);
        Assert.Equal(1, m.Failed);
        Assert.Equal(30, m.TotalInputTokens);
        Assert.Equal(12, m.TotalOutputTokens);
        Assert.Equal(1.0, m.RequestThroughput, 12);
        Assert.Equal(6.0, m.OutputThroughput, 12);
        Assert.Equal(21.0, m.TotalTokenThroughput, 12);
        Assert.Equal(200, m.Ttft.MeanMs, 9);
        Assert.Equal(100, m.Tpot.MeanMs, 9);
        Assert.Equal(100, m.Itl.MedianMs, 9);
        Assert.Equal(700, m.E2el.MeanMs, 9);
        Assert.Null(m.RequestGoodput);
    }

    [Fact]
    public void Goodput_counts_requests_meeting_every_slo()
    {
        RequestOutcome[] outcomes =
        [
            new() { Ttft = 0.1, Latency = 1.1, OutputTokens = 11 },   // ttft 100 ms, tpot 100 ms
            new() { Ttft = 0.6, Latency = 1.6, OutputTokens = 11 },   // ttft too slow
            new() { Ttft = 0.2, Latency = 3.2, OutputTokens = 11 },   // tpot 300 ms too slow
            new() { Ttft = 0.2, Latency = 0.2, OutputTokens = 1 },    // one token: tpot counts as 0
            new() { Error = "boom" },
        ];
        var slo = GoodputSlo.Parse(["ttft:500", "tpot:150"]);
        Assert.Equal(new GoodputSlo(500, 150, null), slo);
        var m = BenchmarkMetrics.Compute(outcomes, 4.0, slo, [99]);
        Assert.Equal(0.5, m.RequestGoodput!.Value, 12);
        Assert.Equal(0.25, BenchmarkMetrics.Compute(outcomes, 4.0, GoodputSlo.Parse(["e2el:1000"]), [99]).RequestGoodput!.Value, 12);
    }

    [Theory]
    [InlineData("ttft")]
    [InlineData("ttft:-1")]
    [InlineData("latency:5")]
    [InlineData("")]
    public void Bad_goodput_specs_are_refused(string spec) => Assert.Throws<FormatException>(() => GoodputSlo.Parse([spec]));
}
