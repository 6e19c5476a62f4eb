using Tandem.Engine.Weights;

namespace Tandem.Engine.Execution;

/// <summary>Limits and sizes of one engine. <see cref="Validate"/> reports every problem at once.</summary>
public sealed record EngineOptions
{
    /// <summary>Most requests in one step (running batch size).</summary>
    public int MaxBatchSize { get; init; } = 64;

    /// <summary>Most new tokens in one step; longer prompts are chunked to fit.</summary>
    public int MaxNumTokens { get; init; } = 8192;

    /// <summary>Most tokens (prompt + generated) of one request; null = the model's max_position_embeddings.</summary>
    public int? MaxSeqLen { get; init; }

    public int TokensPerBlock { get; init; } = 32;

    /// <summary>KV cache size in bytes; when null, <see cref="FreeMemoryFraction"/> of available memory.</summary>
    public long? KvCacheMemoryBytes { get; init; }

    /// <summary>Fraction of the machine's available memory given to the KV cache when no byte size is set.</summary>
    public double FreeMemoryFraction { get; init; } = 0.5;

    /// <summary>
    /// What K and V are stored as (<c>kv_cache_config.dtype</c>): fp32 (default), or bfloat16, which holds twice the
    /// tokens in the same memory and halves what a transfer and attention read, at the cost of rounding K and V.
    /// </summary>
    public KvCache.KvCacheDType KvCacheDType { get; init; }

    /// <summary>KV cache capacity in tokens (TensorRT-LLM's <c>kv_cache_config.max_tokens</c>); caps the memory-derived size.</summary>
    public long? MaxKvTokens { get; init; }

    /// <summary>
    /// Weight-only quantization of the linear layers, applied when <see cref="Runtime.LocalModel"/>
    /// loads the model (an engine given weights directly runs them as they are).
    /// </summary>
    public WeightQuantization Quantization { get; init; }

    /// <summary>Compute threads; null = one per processor.</summary>
    public int? Threads { get; init; }

    /// <summary>Most requests waiting to be scheduled; more are refused (the server answers 429).</summary>
    public int MaxWaitingRequests { get; init; } = 1024;

    /// <summary>How long a finished context-only request keeps its KV blocks for a transfer before they are freed.</summary>
    public TimeSpan HeldKvTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// <c>kv_cache_config.enable_block_reuse</c>: full KV blocks of ended requests stay cached until the pool needs
    /// them, and a request whose prompt starts with the same tokens takes them instead of computing them
    /// (<see cref="KvCache.PrefixIndex"/>). Off by default.
    /// </summary>
    public bool EnableBlockReuse { get; init; }

    /// <summary>
    /// <c>kv_cache_config.event_buffer_max_size</c>: when above 0, the engine logs KV-cache events (the pool made, blocks
    /// stored for reuse, blocks removed; <see cref="KvCache.KvCacheEventLog"/>) and keeps the last this many until drained.
    /// Stored and removed events need <see cref="EnableBlockReuse"/>. 0 (default): no events.
    /// </summary>
    public int KvEventBufferMaxSize { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxBatchSize < 1)
        {
            errors.Add($"max_batch_size must be at least 1 (got {MaxBatchSize})");
        }

        if (MaxNumTokens < 1)
        {
            errors.Add($"max_num_tokens must be at least 1 (got {MaxNumTokens})");
        }

        if (MaxSeqLen is < 2)
        {
            errors.Add($"max_seq_len must be at least 2 (got {MaxSeqLen})");
        }

        if (TokensPerBlock is < 1 or > 4096)
        {
            errors.Add($"tokens_per_block must be in 1..4096 (got {TokensPerBlock})");
        }

        if (KvEventBufferMaxSize < 0)
        {
            errors.Add($"event_buffer_max_size must be 0 (off) or more (got {KvEventBufferMaxSize})");
        }

        if (KvCacheMemoryBytes is <= 0)
        {
            errors.Add($"kv_cache_memory must be positive (got {KvCacheMemoryBytes})");
        }

        if (FreeMemoryFraction is <= 0 or > 1 || double.IsNaN(FreeMemoryFraction))
        {
            errors.Add($"free_memory_fraction must be in (0, 1] (got {FreeMemoryFraction})");
        }

        if (MaxKvTokens is < 1)
        {
            errors.Add($"kv_cache_config.max_tokens must be at least 1 (got {MaxKvTokens})");
        }

        if (Threads is < 1 or > 1024)
        {
            errors.Add($"threads must be in 1..1024 (got {Threads})");
        }

        if (MaxWaitingRequests < 0)
        {
            errors.Add($"max_waiting_requests must not be negative (got {MaxWaitingRequests})");
        }

        if (HeldKvTimeout <= TimeSpan.Zero)
        {
            errors.Add($"kv_transfer_timeout_ms must be positive (got {HeldKvTimeout.TotalMilliseconds})");
        }

        return errors;
    }
}
