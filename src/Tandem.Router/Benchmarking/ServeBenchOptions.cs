namespace Tandem.Router.Benchmarking;

/// <summary>What <c>tandem bench serve</c> runs: <c>vllm bench serve</c>'s options, with its defaults.</summary>
public sealed record ServeBenchOptions
{
    /// <summary>The router or a worker, e.g. <c>http://127.0.0.1:8000</c>.</summary>
    public required Uri BaseUrl { get; init; }

    /// <summary>Model name to send; null: the first of <c>GET /v1/models</c>.</summary>
    public string? Model { get; init; }

    /// <summary><c>/v1/completions</c> or <c>/v1/chat/completions</c>.</summary>
    public string Endpoint { get; init; } = "/v1/completions";

    public bool Chat => Endpoint.Contains("chat", StringComparison.Ordinal);

    /// <summary><c>random</c> or <c>file</c>.</summary>
    public string DatasetName { get; init; } = "random";

    /// <summary>For <c>file</c>: a JSON list of strings, or JSONL with a <c>prompt</c> field per line.</summary>
    public string? DatasetPath { get; init; }

    public int RandomInputLen { get; init; } = 1024;

    public int RandomOutputLen { get; init; } = 128;

    /// <summary>Lengths are uniform in [len·(1−r), len·(1+r)] (vLLM's convention); 0 ≤ r &lt; 1.</summary>
    public double RandomRangeRatio { get; init; }

    public int NumPrompts { get; init; } = 1000;

    /// <summary>Requests per second; infinity sends everything at once.</summary>
    public double RequestRate { get; init; } = double.PositiveInfinity;

    /// <summary>Shape of the gamma-distributed gaps: 1 is Poisson, below 1 burstier, above 1 smoother.</summary>
    public double Burstiness { get; init; } = 1.0;

    public int? MaxConcurrency { get; init; }

    public int NumWarmups { get; init; }

    public int Seed { get; init; }

    /// <summary>Null: true for the random dataset, false for a file.</summary>
    public bool? IgnoreEos { get; init; }

    public bool EffectiveIgnoreEos => IgnoreEos ?? DatasetName == "random";

    public GoodputSlo? Goodput { get; init; }

    /// <summary>Percentiles reported for every metric (vLLM's <c>--metric-percentiles</c>).</summary>
    public IReadOnlyList<double> MetricPercentiles { get; init; } = [90, 99];

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(30);
}
