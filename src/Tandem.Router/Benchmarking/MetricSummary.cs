namespace Tandem.Router.Benchmarking;

/// <summary>One latency metric (<c>ttft</c>, <c>tpot</c>, <c>itl</c> or <c>e2el</c>) in milliseconds: mean, std, median and the asked percentiles.</summary>
public sealed record MetricSummary(string Name, double MeanMs, double StdMs, double MedianMs, IReadOnlyList<(double Percentile, double ValueMs)> Percentiles)
{
    public static MetricSummary Of(string name, IReadOnlyList<double> seconds, IReadOnlyList<double> percentiles)
    {
        ArgumentNullException.ThrowIfNull(percentiles);
        return new MetricSummary(
            name,
            LatencyStats.Mean(seconds) * 1000,
            LatencyStats.StdDev(seconds) * 1000,
            LatencyStats.Median(seconds) * 1000,
            [.. percentiles.Select(p => (p, LatencyStats.Percentile(seconds, p) * 1000))]);
    }

    /// <summary>vLLM's spelling of a percentile in key names: 99 → "99", 99.9 → "99.9".</summary>
    public static string PercentileWord(double p) => p == Math.Floor(p) ? ((int)p).ToString() : p.ToString("R");
}
