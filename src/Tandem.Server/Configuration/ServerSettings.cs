using Microsoft.Extensions.Logging;
using Tandem.Engine.Execution;
using Tandem.Engine.KvCache;
using Tandem.Engine.Weights;

namespace Tandem.Server.Configuration;

/// <summary>
/// Everything <c>tandem serve</c> runs with, validated. Built by <see cref="ServerSettingsLoader"/> from, in rising
/// precedence: these defaults, the YAML file (<c>--config</c> / <c>--extra_llm_api_options</c>), then command-line flags.
/// </summary>
public sealed record ServerSettings
{
    public required string Model { get; init; }

    public string Host { get; init; } = "127.0.0.1";

    /// <summary>HTTP port; 0 = pick a free port.</summary>
    public int Port { get; init; } = 8000;

    /// <summary>The backend name as given: <c>pytorch</c> (TensorRT-LLM's default, accepted) or <c>tandem</c>; both mean Tandem's CPU engine.</summary>
    public string Backend { get; init; } = "pytorch";

    /// <summary>Tokenizer directory; null = the model directory.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>Jinja chat template file; null = the model's own template.</summary>
    public string? ChatTemplate { get; init; }

    public int MaxBatchSize { get; init; } = 64;

    public int MaxNumTokens { get; init; } = 8192;

    /// <summary>Most tokens of one request; null = the model's <c>max_position_embeddings</c>.</summary>
    public int? MaxSeqLen { get; init; }

    /// <summary>KV cache size in bytes (<c>--kv_cache_memory</c>); when set it wins over <see cref="KvCacheFreeMemoryFraction"/>.</summary>
    public long? KvCacheMemoryBytes { get; init; }

    /// <summary>
    /// Fraction of the available host memory given to the KV cache when no byte size is set. TensorRT-LLM's
    /// <c>free_gpu_memory_fraction</c> is read as this fraction: Tandem's KV cache lives in host memory.
    /// </summary>
    public double KvCacheFreeMemoryFraction { get; init; } = 0.5;

    /// <summary>
    /// What the KV cache stores K and V as (<c>kv_cache_config.dtype</c>, <c>--kv_cache_dtype</c>): float32 (auto, the
    /// default) or bfloat16 (<see cref="EngineOptions.KvCacheDType"/>).
    /// </summary>
    public KvCacheDType KvCacheDType { get; init; }

    /// <summary>KV cache capacity cap in tokens (<c>kv_cache_config.max_tokens</c>).</summary>
    public long? KvCacheMaxTokens { get; init; }

    public int TokensPerBlock { get; init; } = 32;

    /// <summary>
    /// <c>kv_cache_config.enable_block_reuse</c>: reuse the KV blocks of prompts' common prefixes across requests
    /// (<see cref="EngineOptions.EnableBlockReuse"/>). On by default, as in TensorRT-LLM.
    /// </summary>
    public bool KvCacheEnableBlockReuse { get; init; } = true;

    /// <summary>
    /// <c>kv_cache_config.event_buffer_max_size</c>: KV-cache events kept for <c>POST /kv_cache_events</c> (a KV-aware
    /// router's view of this worker's cache; <see cref="EngineOptions.KvEventBufferMaxSize"/>). 0 (default): none.
    /// </summary>
    public int KvCacheEventBufferMaxSize { get; init; }

    /// <summary>Compute threads; null = one per processor.</summary>
    public int? Threads { get; init; }

    /// <summary>Weight-only quantization of the linear layers at load (<c>quantization: none|int8|int4</c>).</summary>
    public WeightQuantization Quantization { get; init; }

    public ServerRole ServerRole { get; init; } = ServerRole.Both;

    /// <summary>When set, requests must carry <c>Authorization: Bearer</c> this key.</summary>
    public string? ApiKey { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Most requests waiting to be scheduled; more are answered 429.</summary>
    public int MaxWaitingRequests { get; init; } = 1024;

    /// <summary>
    /// <c>TRTLLM_DISAGG_BENCHMARK_GEN_ONLY=1</c>: a generation-only request without a transfer state (what the router
    /// sends in that mode) starts from an uninitialized (zero) KV cache of its prompt's length instead of being refused:
    /// decode benchmarks without context servers. The answers are meaningless.
    /// </summary>
    public bool BenchmarkGenerationOnly { get; init; }

    /// <summary><c>return_perf_metrics</c>: keep per-request timings and KV metrics for <c>GET /perf_metrics</c>.</summary>
    public bool ReturnPerfMetrics { get; init; }

    /// <summary><c>perf_metrics_max_requests</c>: how many finished requests' metrics <c>GET /perf_metrics</c> keeps (oldest dropped); 0 keeps none.</summary>
    public int PerfMetricsMaxRequests { get; init; }

    /// <summary>Model name clients use; null = the model argument's directory name.</summary>
    public string? ServedModelName { get; init; }

    public CacheTransceiverSettings CacheTransceiver { get; init; } = new();

    public EngineOptions ToEngineOptions() => new()
    {
        MaxBatchSize = MaxBatchSize,
        MaxNumTokens = MaxNumTokens,
        MaxSeqLen = MaxSeqLen,
        TokensPerBlock = TokensPerBlock,
        KvCacheMemoryBytes = KvCacheMemoryBytes,
        FreeMemoryFraction = KvCacheFreeMemoryFraction,
        KvCacheDType = KvCacheDType,
        MaxKvTokens = KvCacheMaxTokens,
        EnableBlockReuse = KvCacheEnableBlockReuse,
        KvEventBufferMaxSize = KvCacheEventBufferMaxSize,
        Threads = Threads,
        Quantization = Quantization,
        MaxWaitingRequests = MaxWaitingRequests,
        HeldKvTimeout = TimeSpan.FromMilliseconds(CacheTransceiver.KvTransferTimeoutMs),
    };
}
