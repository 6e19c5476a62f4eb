namespace Tandem.Router.Benchmarking;

/// <summary>
/// The run's totals and latency summaries, computed as <c>vllm bench serve</c> does: only completed requests count towards
/// tokens and latencies; throughputs are per second of benchmark duration; goodput counts completed requests meeting every SLO.
/// </summary>
public sealed record BenchmarkMetrics
{
    public required int Completed { get; init; }

    public required int Failed { get; init; }

    public required double DurationSeconds { get; init; }

    public required long TotalInputTokens { get; init; }

    public required long TotalOutputTokens { get; init; }

    public required double RequestThroughput { get; init; }

    public double? RequestGoodput { get; init; }

    public required double OutputThroughput { get; init; }

    public required double TotalTokenThroughput { get; init; }

    public required MetricSummary Ttft { get; init; }

    public required MetricSummary Tpot { get; init; }

    public required MetricSummary Itl { get; init; }

    public required MetricSummary E2el { get; init; }

    public IEnumerable<MetricSummary> Latencies => [Ttft, Tpot, Itl, E2el];

    public static BenchmarkMetrics Compute(IReadOnlyList<RequestOutcome> outcomes, double durationSeconds, GoodputSlo? goodput, IReadOnlyList<double> percentiles)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var ok = outcomes.Where(o => o.Success).ToList();
        var ttfts = ok.Select(o => o.Ttft).ToList();
        var tpots = ok.Where(o => o.OutputTokens > 1).Select(o => o.Tpot).ToList();
        var itls = ok.SelectMany(o => o.Itls).ToList();
        var e2els = ok.Select(o => o.Latency).ToList();
        long input = ok.Sum(o => (long)o.InputLen), output = ok.Sum(o => (long)o.OutputTokens);
        var duration = durationSeconds > 0 ? durationSeconds : double.Epsilon;
        return new BenchmarkMetrics
        {
            Completed = ok.Count,
            Failed = outcomes.Count - ok.Count,
            DurationSeconds = durationSeconds,
            TotalInputTokens = input,
            TotalOutputTokens = output,
            RequestThroughput = ok.Count / duration,
            RequestGoodput = goodput is null ? null : ok.Count(o => goodput.IsMetBy(o.Ttft, o.Tpot, o.Latency)) / duration,
            OutputThroughput = output / duration,
            TotalTokenThroughput = (input + output) / duration,
            Ttft = MetricSummary.Of("ttft", ttfts, percentiles),
            Tpot = MetricSummary.Of("tpot", tpots, percentiles),
            Itl = MetricSummary.Of("itl", itls, percentiles),
            E2el = MetricSummary.Of("e2el", e2els, percentiles),
        };
    }
}
