using System.Collections.Frozen;

namespace Tandem.Server.Configuration;

/// <summary>
/// TensorRT-LLM LLM-API keys that only tune GPUs or TensorRT-LLM's own runtime. They are accepted so that reference
/// configs run unchanged, and each one met is named in a warning; any other unknown key is an error.
/// </summary>
public static class IgnoredSettings
{
    public static FrozenSet<string> TopLevel { get; } = FrozenSet.Create(
        StringComparer.Ordinal,
        "attn_backend",
        "attention_dp_config",
        "cuda_graph_config",
        "disable_overlap_scheduler",
        "enable_attention_dp",
        "enable_autotuner",
        "enable_chunked_prefill",
        "enable_iter_perf_stats",
        "enable_iter_req_stats",
        "enable_layerwise_nvtx_marker",
        "enable_min_latency",
        "gpus_per_node",
        "moe_config",
        "moe_expert_parallel_size",
        "moe_tensor_parallel_size",
        "num_postprocess_workers",
        "print_iter_log",
        "pytorch_backend_config",
        "speculative_config",
        "stream_interval",
        "torch_compile_config",
        "trust_remote_code",
        "use_cuda_graph");

    public static FrozenSet<string> KvCacheConfig { get; } = FrozenSet.Create(
        StringComparer.Ordinal,
        "copy_on_partial_reuse",
        "cross_kv_cache_fraction",
        "enable_partial_reuse",
        "host_cache_size",
        "max_attention_window",
        "onboard_blocks",
        "secondary_offload_min_priority",
        "sink_token_length");

    public static FrozenSet<string> CacheTransceiverConfig { get; } = FrozenSet.Create(
        StringComparer.Ordinal,
        "enable_cache_transceiver",
        "kv_transfer_sender_future_timeout_ms",
        "transceiver_runtime");
}
