namespace Tandem.Server.Configuration;

/// <summary>
/// The KV transfer channel of a worker: TensorRT-LLM's <c>cache_transceiver_config</c> plus Tandem's own keys
/// (<c>host</c>, <c>port</c>, <c>kv_transfer_failure_policy</c>).
/// </summary>
public sealed record CacheTransceiverSettings
{
    public CacheTransceiverBackend Backend { get; init; } = CacheTransceiverBackend.Default;

    /// <summary>Address the transfer listener binds; null = the server's <c>--host</c>.</summary>
    public string? Host { get; init; }

    /// <summary>Port of the transfer listener; 0 = an ephemeral port.</summary>
    public int Port { get; init; }

    /// <summary>Most tokens' KV in flight at once; null = no bound beyond the KV pool.</summary>
    public long? MaxTokensInBuffer { get; init; }

    /// <summary>How long a context server keeps a finished request's blocks for a generation server to pull.</summary>
    public int KvTransferTimeoutMs { get; init; } = 60_000;

    public KvTransferFailurePolicy FailurePolicy { get; init; } = KvTransferFailurePolicy.Recompute;
}

/// <summary>
/// Transfer transports. <see cref="Default"/> is TCP today; TensorRT-LLM's GPU transports (UCX, NIXL, MPI,
/// MOONCAKE) have no counterpart on a CPU and are refused.
/// </summary>
public enum CacheTransceiverBackend
{
    Default,
    Tcp,
}

/// <summary>What a generation server does when it cannot pull a request's KV blocks.</summary>
public enum KvTransferFailurePolicy
{
    /// <summary>Prefill the prompt locally, log a warning and count it.</summary>
    Recompute,

    /// <summary>Answer 502 with the reason.</summary>
    Fail,
}
