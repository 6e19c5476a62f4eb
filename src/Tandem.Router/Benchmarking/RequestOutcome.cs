namespace Tandem.Router.Benchmarking;

/// <summary>
/// What one request measured, in seconds: time to the first chunk with output, the gaps between later chunks,
/// the whole latency, and the token counts (from the server's usage when it sent one). <see cref="Error"/> is set when it failed.
/// </summary>
public sealed record RequestOutcome
{
    public bool Success => Error is null;

    public double Ttft { get; init; }

    public IReadOnlyList<double> Itls { get; init; } = [];

    public double Latency { get; init; }

    public int InputLen { get; init; }

    public int OutputTokens { get; init; }

    /// <summary>Seconds from the start of the benchmark to when the request was sent.</summary>
    public double StartOffset { get; init; }

    public string? Error { get; init; }

    /// <summary>(E2EL − TTFT) / (output tokens − 1); 0 for a one-token answer.</summary>
    public double Tpot => OutputTokens > 1 ? (Latency - Ttft) / (OutputTokens - 1) : 0;
}
