namespace Tandem.Router.Configuration;

/// <summary>
/// The disaggregated router's YAML (TensorRT-LLM's <c>disagg_config.yaml</c>), validated. Built only by
/// <see cref="RouterConfigLoader"/>; tests may adjust a loaded one with <c>with</c> (e.g. <c>Port = 0</c>).
/// </summary>
public sealed record RouterConfig
{
    public string Hostname { get; init; } = "localhost";

    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; init; } = 8000;

    /// <summary>The top-level <c>model</c>, else the generation section's; null when neither names one.</summary>
    public string? Model { get; init; }

    public string? Backend { get; init; }

    /// <summary>Retries of one leg after a connection failure, each on another server of the section when there is one.</summary>
    public int MaxRetries { get; init; } = 1;

    public int PerfMetricsMaxRequests { get; init; }

    /// <summary>
    /// <c>conditional_disagg_config.max_local_prefill_length</c>: when set, a request whose prompt a generation server
    /// already holds except for at most this many tokens goes whole to that server (no context leg, no transfer).
    /// Needs the generation section's <c>kv_cache_aware</c> policy. Null: every request takes both legs.
    /// </summary>
    public int? MaxLocalPrefillLength { get; init; }

    public required ServerSectionConfig ContextServers { get; init; }

    public required ServerSectionConfig GenerationServers { get; init; }

    /// <summary>
    /// <c>context_servers.num_instances: 0</c>: no context leg; every request goes whole (as the client sent it,
    /// without <c>disaggregated_params</c>) to a generation server, which then runs prefill and decode itself.
    /// </summary>
    public bool IsAggregated => ContextServers.NumInstances == 0;
}
