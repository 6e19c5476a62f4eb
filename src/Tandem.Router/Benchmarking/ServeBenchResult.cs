namespace Tandem.Router.Benchmarking;

/// <summary>A finished run: what was asked, the per-request outcomes (in prompt order) and the metrics.</summary>
public sealed record ServeBenchResult(ServeBenchOptions Options, string Model, DateTimeOffset Date, IReadOnlyList<RequestOutcome> Outcomes, BenchmarkMetrics Metrics);
