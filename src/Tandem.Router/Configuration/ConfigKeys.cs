namespace Tandem.Router.Configuration;

/// <summary>The keys a disaggregated config may hold, by where they may appear.</summary>
internal static class ConfigKeys
{
    public const string ContextServers = "context_servers";
    public const string GenerationServers = "generation_servers";

    /// <summary>Top-level keys the router itself reads.</summary>
    public static readonly IReadOnlySet<string> Router = new HashSet<string>(StringComparer.Ordinal)
    {
        "hostname", "port", "max_retries", "perf_metrics_max_requests", "conditional_disagg_config", ContextServers, GenerationServers,
    };

    /// <summary>Section keys the router or a launcher reads; everything else in a section is a worker setting.</summary>
    public static readonly IReadOnlySet<string> Section = new HashSet<string>(StringComparer.Ordinal)
    {
        "num_instances", "urls", "router", "tensor_parallel_size", "pipeline_parallel_size",
    };

    public static readonly IReadOnlySet<string> RouterBlock = new HashSet<string>(StringComparer.Ordinal) { "type", "use_tokens", "tokens_per_block", "max_batch_size" };

    /// <summary>
    /// Worker (LLM-API) settings: allowed in a section, and at the top level, where they are inherited by both sections
    /// (except a key the router reads itself: <c>perf_metrics_max_requests</c> at the top level is the router's, in a
    /// section the workers'). The router keeps them as YAML text; the worker's own loader checks their values.
    /// </summary>
    public static readonly IReadOnlySet<string> Worker = new HashSet<string>(StringComparer.Ordinal)
    {
        "model", "backend", "tokenizer", "chat_template", "served_model_name", "trust_remote_code",
        "max_batch_size", "max_num_tokens", "max_seq_len", "max_input_len", "max_beam_width", "max_waiting_requests",
        "kv_cache_config", "kv_cache_memory", "free_gpu_memory_fraction", "cache_transceiver_config", "threads",
        "context_parallel_size", "moe_expert_parallel_size", "enable_attention_dp",
        "disable_overlap_scheduler", "cuda_graph_config", "pytorch_backend_config", "enable_autotuner",
        "enable_chunked_prefill", "print_iter_log", "return_perf_metrics", "perf_metrics_max_requests", "enable_iter_perf_stats",
        "stream_interval", "num_postprocess_workers", "speculative_config", "scheduler_config", "attn_backend",
    };

    /// <summary>TensorRT-LLM top-level keys of features this router does not have, with what to do instead.</summary>
    public static readonly IReadOnlyDictionary<string, string> Unsupported = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["disagg_cluster"] = "dynamic worker registration is not supported; list the servers under each section's urls",
        ["metadata_server_config"] = "the etcd metadata server is not supported; list the servers under each section's urls",
        ["schedule_style"] = "only the context-first flow is supported; remove the key",
        ["otlp_config"] = "OpenTelemetry tracing is not supported; remove the key",
        ["node_id"] = "snowflake request ids are not used; remove the key",
        ["num_workers"] = "the router runs as one process; remove the key",
        ["disagg_coordinator_url"] = "the router runs as one process; remove the key",
        ["gen_strip_message_history"] = "not supported; remove the key",
        ["gen_tokids_ctxbytes"] = "not supported; remove the key",
        ["allow_request_chat_template"] = "not supported; remove the key",
        ["perf_metrics_output_dir"] = "not supported; remove the key",
    };
}
