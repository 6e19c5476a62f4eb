using System.Globalization;
using System.Text;
using Tandem.Engine.Runtime;

namespace Tandem.Bench.LlamaSharp;

/// <summary>
/// The table of <c>bench/run-decode-alternation.sh</c>: rounds of batch-1 decode in which Tandem and LLamaSharp ran
/// the same GGUF file one right after the other, each round after its own bandwidth reading. On a shared host whose
/// bandwidth swings from minute to minute, a ratio taken within a round is the fair one; the table gives, per format,
/// both engines' median tok/s, the median of the per-round ratios with their range, and each engine's median
/// weight bandwidth as a percentage of its round's reading.
/// Files: <c>r{round}-{engine}-{format}.json</c> (tandem or llamasharp; BenchmarkReport JSON with a batch-1 decode
/// measurement and the round's <c>bandwidth_gbps</c>).
/// </summary>
internal static class AlternationTable
{
    public static int Run(Arguments a)
    {
        var directory = a.Required(0, "DIR");
        var runs = Directory.GetFiles(directory, "r*-*-*.json")
            .Select(path => (Path: path, Parts: Path.GetFileNameWithoutExtension(path).Split('-', 3)))
            .Where(f => f.Parts.Length == 3 && f.Parts[0].Length > 1 && int.TryParse(f.Parts[0][1..], CultureInfo.InvariantCulture, out _))
            .Select(f => (Round: int.Parse(f.Parts[0][1..], CultureInfo.InvariantCulture), Engine: f.Parts[1], Format: f.Parts[2], Report: BenchmarkReport.ReadJson(f.Path)))
            .ToList();
        if (runs.Count == 0)
        {
            throw new ArgumentException($"no r<round>-<engine>-<format>.json reports in {directory}");
        }

        var text = new StringBuilder();
        var rounds = runs.Select(r => r.Round).Distinct().Count();
        text.AppendLine(CultureInfo.InvariantCulture, $"Batch-1 decode, Tandem and LLamaSharp alternated on the same GGUF file: {rounds} rounds, each after its own bandwidth reading.");
        text.AppendLine();
        text.AppendLine("| format | Tandem tok/s (median) | LLamaSharp tok/s (median) | Tandem / LLamaSharp per round: median (range) | Tandem % of the round's bandwidth | LLamaSharp % |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var format in runs.Select(r => r.Format).Distinct().Order(StringComparer.Ordinal))
        {
            var tandem = Decode(runs, "tandem", format);
            var llama = Decode(runs, "llamasharp", format);
            var ratios = tandem.Keys.Intersect(llama.Keys).Select(round => tandem[round].TokensPerSecond / llama[round].TokensPerSecond).ToList();
            text.AppendLine(CultureInfo.InvariantCulture, $"| {format} | {Median(tandem.Values.Select(m => m.TokensPerSecond)):F1} | {Median(llama.Values.Select(m => m.TokensPerSecond)):F1} | " +
                $"{(ratios.Count == 0 ? "-" : $"{Median(ratios):F2}x ({ratios.Min():F2}–{ratios.Max():F2})")} | " +
                $"{Percent(tandem.Values.Select(m => m.PercentOfBandwidth))} | {Percent(llama.Values.Select(m => m.PercentOfBandwidth))} |");
        }

        Console.Write(text);
        return 0;
    }

    private static Dictionary<int, BenchmarkMeasurement> Decode(List<(int Round, string Engine, string Format, BenchmarkReport Report)> runs, string engine, string format) =>
        runs.Where(r => r.Engine == engine && r.Format == format)
            .Select(r => (r.Round, Measurement: r.Report.Measurements.FirstOrDefault(m => m.Kind == BenchmarkMeasurement.Decode && m.Batch == 1)))
            .Where(r => r.Measurement is not null)
            .ToDictionary(r => r.Round, r => r.Measurement!);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Percent(IEnumerable<double?> values)
    {
        var known = values.Where(v => v is not null).Select(v => v!.Value).ToList();
        return known.Count == 0 ? "-" : Median(known).ToString("F0", CultureInfo.InvariantCulture) + "%";
    }
}
