using System.Globalization;

namespace Tandem.Router.Benchmarking;

/// <summary>
/// Service-level objectives for goodput (<c>--goodput ttft:MS tpot:MS e2el:MS</c>): a request is good when it meets
/// every one given. A one-token answer's TPOT counts as 0, as in vLLM.
/// </summary>
public sealed record GoodputSlo(double? TtftMs, double? TpotMs, double? E2elMs)
{
    public static readonly IReadOnlyList<string> Names = ["ttft", "tpot", "e2el"];

    /// <summary>Parses <c>name:ms</c> pairs (spaces or commas between them); throws <see cref="FormatException"/> on anything else.</summary>
    public static GoodputSlo Parse(IEnumerable<string> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        double? ttft = null, tpot = null, e2el = null;
        var any = false;
        foreach (var item in items.SelectMany(i => i.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries)))
        {
            var parts = item.Split(':');
            if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) || ms < 0 || !double.IsFinite(ms))
            {
                throw new FormatException($"'{item}' is not NAME:MILLISECONDS with a non-negative number");
            }

            switch (parts[0].Trim().ToLowerInvariant())
            {
                case "ttft": ttft = ms; break;
                case "tpot": tpot = ms; break;
                case "e2el": e2el = ms; break;
                default: throw new FormatException($"'{parts[0]}' is not one of ttft, tpot, e2el");
            }

            any = true;
        }

        return any ? new GoodputSlo(ttft, tpot, e2el) : throw new FormatException("--goodput needs at least one of ttft:MS tpot:MS e2el:MS");
    }

    /// <summary>Whether a completed request with these latencies (seconds) meets every objective given.</summary>
    public bool IsMetBy(double ttftSeconds, double tpotSeconds, double e2elSeconds) =>
        Meets(TtftMs, ttftSeconds) && Meets(TpotMs, tpotSeconds) && Meets(E2elMs, e2elSeconds);

    public override string ToString() =>
        string.Join(' ', new[] { ("ttft", TtftMs), ("tpot", TpotMs), ("e2el", E2elMs) }.Where(p => p.Item2 is not null).Select(p => $"{p.Item1}:{p.Item2!.Value.ToString(CultureInfo.InvariantCulture)}"));

    private static bool Meets(double? limitMs, double seconds) => limitMs is not { } ms || seconds * 1000.0 <= ms;
}
