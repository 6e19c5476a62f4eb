using System.Text;

namespace Tandem.Router.Benchmarking;

/// <summary>The table printed at the end of a run, laid out like <c>vllm bench serve</c>'s.</summary>
public static class ReportTable
{
    private const int Width = 50;

    private static readonly string[] Titles = ["Time to First Token", "Time per Output Token (excl. 1st token)", "Inter-token Latency", "End-to-end Latency"];

    public static string Format(ServeBenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var m = result.Metrics;
        var o = result.Options;
        var t = new StringBuilder();
        t.AppendLine(Centered(" Serving Benchmark Result ", '='));
        Row(t, "Successful requests:", m.Completed.ToString());
        Row(t, "Failed requests:", m.Failed.ToString());
        Row(t, "Maximum request concurrency:", o.MaxConcurrency?.ToString() ?? "none");
        Row(t, "Request rate configured (RPS):", double.IsPositiveInfinity(o.RequestRate) ? "inf" : o.RequestRate.ToString("F2"));
        Row(t, "Benchmark duration (s):", m.DurationSeconds.ToString("F2"));
        Row(t, "Total input tokens:", m.TotalInputTokens.ToString());
        Row(t, "Total generated tokens:", m.TotalOutputTokens.ToString());
        Row(t, "Request throughput (req/s):", m.RequestThroughput.ToString("F2"));
        if (m.RequestGoodput is { } goodput)
        {
            Row(t, "Request goodput (req/s):", goodput.ToString("F2"));
            Row(t, "  SLOs (ms):", o.Goodput!.ToString());
        }

        Row(t, "Output token throughput (tok/s):", m.OutputThroughput.ToString("F2"));
        Row(t, "Total token throughput (tok/s):", m.TotalTokenThroughput.ToString("F2"));
        foreach (var (s, title) in m.Latencies.Zip(Titles))
        {
            t.AppendLine(Centered(title, '-'));
            var upper = s.Name.ToUpperInvariant();
            Row(t, $"Mean {upper} (ms):", s.MeanMs.ToString("F2"));
            Row(t, $"Median {upper} (ms):", s.MedianMs.ToString("F2"));
            foreach (var (p, value) in s.Percentiles)
            {
                Row(t, $"P{MetricSummary.PercentileWord(p)} {upper} (ms):", value.ToString("F2"));
            }
        }

        t.AppendLine(new string('=', Width));
        return t.ToString();
    }

    private static void Row(StringBuilder t, string label, string value) => t.Append(label.PadRight(40)).AppendLine(value.PadLeft(Width - 40));

    private static string Centered(string title, char fill)
    {
        var left = Math.Max(0, (Width - title.Length) / 2);
        return (new string(fill, left) + title).PadRight(Width, fill);
    }
}
