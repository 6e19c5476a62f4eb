using Microsoft.Extensions.Logging;

namespace Tandem.Router;

/// <summary>The router's command-line settings (the YAML holds the rest), with TensorRT-LLM's defaults.</summary>
public sealed record RouterOptions
{
    /// <summary><c>-t/--server_start_timeout</c>: how long startup waits for every server's <c>/health</c> to answer 200.</summary>
    public TimeSpan ServerStartTimeout { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary><c>-r/--request_timeout</c>: the most one upstream call may take, body included; past it the client gets 504.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(180);

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary><c>--metrics-log-interval</c>: log a one-line summary this often; null (or zero) is off.</summary>
    public TimeSpan? MetricsLogInterval { get; init; }

    /// <summary>The wait before a retry goes back to a server that already failed this request (TensorRT-LLM waits 1 s).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a server that refused a connection is skipped by the picks before it is tried again.</summary>
    public TimeSpan FailureCooldown { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one <c>/health</c> probe of a server may take.</summary>
    public TimeSpan HealthProbeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>TRTLLM_DISAGG_BENCHMARK_GEN_ONLY=1</c>: decode benchmarks without context servers. No context leg: every request
    /// goes to a generation server as <c>generation_only</c> with <c>first_gen_tokens: [7]</c>, <c>ctx_request_id: 1</c>,
    /// no transfer state and <c>ignore_eos: true</c>; the generation worker (with the same variable) starts it from an
    /// uninitialized KV cache.
    /// </summary>
    public bool BenchmarkGenerationOnly { get; init; }

    /// <summary>How long one worker call of <c>/perf_metrics</c> (its clock alignment, its fetch) may take before the worker is skipped.</summary>
    public TimeSpan PerfMetricsTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
