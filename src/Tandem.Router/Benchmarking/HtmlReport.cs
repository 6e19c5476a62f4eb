using System.Globalization;
using System.Net;
using System.Text;

namespace Tandem.Router.Benchmarking;

/// <summary>
/// <c>--html FILE</c>: one self-contained page (no scripts, no external files) with the summary table and, per metric
/// (TTFT, TPOT, ITL, E2E), an inline SVG histogram with its cumulative distribution drawn over it.
/// </summary>
public static class HtmlReport
{
    private const int Bins = 30;
    private const double PlotWidth = 560, PlotHeight = 220, Left = 50, Top = 20, Bottom = 40;

    public static string Render(ServeBenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var ok = result.Outcomes.Where(o => o.Success).ToList();
        var series = new (string Title, IReadOnlyList<double> Ms)[]
        {
            ("Time to first token (ms)", [.. ok.Select(o => o.Ttft * 1000)]),
            ("Time per output token (ms)", [.. ok.Where(o => o.OutputTokens > 1).Select(o => o.Tpot * 1000)]),
            ("Inter-token latency (ms)", [.. ok.SelectMany(o => o.Itls).Select(v => v * 1000)]),
            ("End-to-end latency (ms)", [.. ok.Select(o => o.Latency * 1000)]),
        };
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>")
            .AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tandem bench serve</title>")
            .AppendLine("<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}pre{background:#f6f6f6;padding:1em;display:inline-block}")
            .AppendLine(".charts{display:flex;flex-wrap:wrap;gap:1.5em}figure{margin:0}figcaption{font-weight:600;margin-bottom:.3em}")
            .AppendLine("svg text{font-size:11px;fill:#444}.bar{fill:#6a9fd8}.cdf{fill:none;stroke:#d8552a;stroke-width:2}.axis{stroke:#888}</style></head><body>")
            .AppendLine(CultureInfo.InvariantCulture, $"<h1>tandem bench serve: {Encode(result.Model)}</h1>")
            .AppendLine(CultureInfo.InvariantCulture, $"<p>{Encode(result.Options.BaseUrl.AbsoluteUri)} {Encode(result.Options.Endpoint)}, {result.Date:u}. Bars: share of samples per bin (left axis); line: cumulative share (right axis).</p>")
            .AppendLine(CultureInfo.InvariantCulture, $"<pre>{Encode(ReportTable.Format(result))}</pre>")
            .AppendLine("<div class=\"charts\">");
        foreach (var (title, values) in series)
        {
            html.AppendLine(CultureInfo.InvariantCulture, $"<figure><figcaption>{Encode(title)}</figcaption>{Chart(values)}</figure>");
        }

        return html.AppendLine("</div></body></html>").ToString();
    }

    public static void WriteFile(string path, ServeBenchResult result) => File.WriteAllText(path, Render(result));

    /// <summary>An SVG histogram of <paramref name="values"/> in <see cref="Bins"/> bins with the empirical CDF over it.</summary>
    internal static string Chart(IReadOnlyList<double> values)
    {
        var width = Left + PlotWidth + 40;
        var height = Top + PlotHeight + Bottom;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">");
        var x0 = Left;
        var y0 = Top + PlotHeight;
        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{x0}\" y1=\"{Top}\" x2=\"{x0}\" y2=\"{y0}\"/><line class=\"axis\" x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0 + PlotWidth}\" y2=\"{y0}\"/>");
        if (values.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 + 10}\" y=\"{Top + 20}\">no samples</text></svg>");
            return svg.ToString();
        }

        var sorted = values.Order().ToArray();
        var min = sorted[0];
        var max = sorted[^1];
        var span = max > min ? max - min : Math.Max(1e-9, Math.Abs(max) * 0.1 + 1e-9);
        var counts = new int[Bins];
        foreach (var v in sorted)
        {
            counts[Math.Clamp((int)((v - min) / span * Bins), 0, Bins - 1)]++;
        }

        var peak = counts.Max() / (double)sorted.Length;
        var binWidth = PlotWidth / Bins;
        for (var b = 0; b < Bins; b++)
        {
            var share = counts[b] / (double)sorted.Length;
            var h = peak > 0 ? share / peak * PlotHeight : 0;
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" x=\"{x0 + (b * binWidth):F1}\" y=\"{y0 - h:F1}\" width=\"{binWidth - 1:F1}\" height=\"{h:F1}\"><title>{min + (b * span / Bins):G4}–{min + ((b + 1) * span / Bins):G4} ms: {counts[b]}</title></rect>");
        }

        var points = new StringBuilder();
        for (var i = 0; i < sorted.Length; i++)
        {
            var x = x0 + ((sorted[i] - min) / span * PlotWidth);
            var y = y0 - ((i + 1) / (double)sorted.Length * PlotHeight);
            points.Append(CultureInfo.InvariantCulture, $"{x:F1},{y:F1} ");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<polyline class=\"cdf\" points=\"{points.ToString().TrimEnd()}\"/>");
        for (var tick = 0; tick <= 4; tick++)
        {
            var x = x0 + (tick * PlotWidth / 4);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:F1}\" y=\"{y0 + 16}\" text-anchor=\"middle\">{min + (tick * span / 4):G4}</text>");
            var y = y0 - (tick * PlotHeight / 4);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{peak * tick / 4:P0}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 + PlotWidth + 6}\" y=\"{y + 4:F1}\">{tick * 25}%</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 + (PlotWidth / 2)}\" y=\"{y0 + 34}\" text-anchor=\"middle\">ms (n = {sorted.Length})</text></svg>");
        return svg.ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
