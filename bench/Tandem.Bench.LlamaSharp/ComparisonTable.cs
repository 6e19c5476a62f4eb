using System.Globalization;
using System.Text;
using Tandem.Engine.Runtime;

namespace Tandem.Bench.LlamaSharp;

/// <summary>
/// One Markdown table from several benchmark reports. Each argument is <c>ENGINE:FORMAT:REPORT.json[:VS]</c>;
/// VS names the FORMAT of the LLamaSharp row this row is compared to (the ratio columns: this row's
/// tok/s ÷ that row's, for decode at batch 1 and the largest batch, and the largest prefill).
/// Columns: decode at each batch size (aggregate tok/s over the batch), prefill at each length,
/// % of the bandwidth limit at batch 1, % of the FLOP limit at the largest prefill.
/// </summary>
internal static class ComparisonTable
{
    public static int Run(Arguments a)
    {
        var rows = a.Positional.Select(Parse).ToList();
        if (rows.Count == 0)
        {
            throw new ArgumentException("no reports given (ENGINE:FORMAT:REPORT.json[:VS])");
        }

        var batches = rows.SelectMany(r => r.Report.Measurements).Where(m => m.Kind == BenchmarkMeasurement.Decode).Select(m => m.Batch).Distinct().Order().ToList();
        var prompts = rows.SelectMany(r => r.Report.Measurements).Where(m => m.Kind == BenchmarkMeasurement.Prefill).Select(m => m.PromptTokens).Distinct().Order().ToList();
        var (small, large, longest) = (batches.FirstOrDefault(), batches.LastOrDefault(), prompts.LastOrDefault());

        var text = new StringBuilder();
        var first = rows[0].Report;
        text.AppendLine(CultureInfo.InvariantCulture, $"Shape: {first.Shape}; {first.Threads} threads; limits: {Limit(first.BandwidthGBps, "GB/s")} bandwidth, {Limit(first.PeakGflops, "GFLOP/s")} FMA peak.");
        if (rows.Any(r => Find(r, BenchmarkMeasurement.Prefill, longest)?.PercentOfPeak > 100))
        {
            text.AppendLine("(The FLOP limit is the fp32 FMA peak; a row past 100 % ran its prompts on integer or matrix units.)");
        }

        text.AppendLine();
        var header = new List<string> { "engine", "format" };
        header.AddRange(batches.Select(b => b == 1 ? "decode b1 tok/s" : $"agg decode b{b} tok/s"));
        header.AddRange(prompts.Select(p => $"prefill {p} tok/s"));
        header.Add($"% BW limit b{small}");
        header.Add($"% FLOP limit p{longest}");
        header.Add($"vs LLamaSharp (b{small} / b{large} / p{longest})");
        text.AppendLine("| " + string.Join(" | ", header) + " |");
        text.AppendLine("|" + string.Concat(header.Select((_, i) => i < 2 ? "---|" : "---:|")));
        foreach (var row in rows)
        {
            var cells = new List<string> { row.Engine, row.Format };
            cells.AddRange(batches.Select(b => Number(Rate(row, BenchmarkMeasurement.Decode, b))));
            cells.AddRange(prompts.Select(p => Number(Rate(row, BenchmarkMeasurement.Prefill, p))));
            cells.Add(Percent(Find(row, BenchmarkMeasurement.Decode, small)?.PercentOfBandwidth));
            cells.Add(Percent(Find(row, BenchmarkMeasurement.Prefill, longest)?.PercentOfPeak));
            var reference = row.Versus is null ? null : rows.FirstOrDefault(r => r.Engine.Equals("LLamaSharp", StringComparison.OrdinalIgnoreCase) && r.Format == row.Versus);
            cells.Add(reference is null ? "-" : string.Join(" / ",
                Ratio(row, reference, BenchmarkMeasurement.Decode, small),
                Ratio(row, reference, BenchmarkMeasurement.Decode, large),
                Ratio(row, reference, BenchmarkMeasurement.Prefill, longest)));
            text.AppendLine("| " + string.Join(" | ", cells) + " |");
        }

        Console.Write(text);
        return 0;
    }

    private static Row Parse(string spec)
    {
        var parts = spec.Split(':');
        if (parts.Length is < 3 or > 4)
        {
            throw new ArgumentException($"'{spec}': expected ENGINE:FORMAT:REPORT.json[:VS]");
        }

        return new Row(parts[0], parts[1], BenchmarkReport.ReadJson(parts[2]), parts.Length == 4 ? parts[3] : null);
    }

    private static BenchmarkMeasurement? Find(Row row, string kind, int key) =>
        row.Report.Measurements.FirstOrDefault(m => m.Kind == kind && (kind == BenchmarkMeasurement.Decode ? m.Batch : m.PromptTokens) == key);

    private static double? Rate(Row row, string kind, int key) => Find(row, kind, key)?.TokensPerSecond;

    private static string Ratio(Row row, Row reference, string kind, int key) =>
        Rate(row, kind, key) is { } mine && Rate(reference, kind, key) is { } theirs and > 0
            ? (mine / theirs).ToString("F2", CultureInfo.InvariantCulture) + "x"
            : "-";

    private static string Number(double? value) => value is { } v ? v.ToString(v >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture) : "-";

    private static string Percent(double? value) => value is { } v ? v.ToString("F0", CultureInfo.InvariantCulture) + "%" : "-";

    private static string Limit(double? value, string unit) => value is { } v ? $"{v.ToString("F0", CultureInfo.InvariantCulture)} {unit}" : "unmeasured";

    private sealed record Row(string Engine, string Format, BenchmarkReport Report, string? Versus);
}
