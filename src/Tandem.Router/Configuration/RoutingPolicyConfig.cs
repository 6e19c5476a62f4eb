namespace Tandem.Router.Configuration;

/// <summary>A section's <c>router</c> block: the policy's name and its arguments.</summary>
public sealed record RoutingPolicyConfig
{
    /// <summary>A name registered in <see cref="Routing.RoutingPolicies"/>: <c>round_robin</c> (default), <c>load_balancing</c> or <c>kv_cache_aware</c>.</summary>
    public string Type { get; init; } = "round_robin";

    /// <summary><c>load_balancing</c> only: weigh servers by active prompt tokens instead of active requests.</summary>
    public bool UseTokens { get; init; }

    /// <summary>
    /// <c>kv_cache_aware</c> only: tokens per hashed block, which must be the workers' <c>kv_cache_config.tokens_per_block</c>;
    /// when the router block does not set it, the section's <c>kv_cache_config.tokens_per_block</c>, else 32.
    /// </summary>
    public int? TokensPerBlock { get; init; }

    /// <summary>
    /// <c>kv_cache_aware</c> only: the active requests that weigh as much as a whole prompt found in a server's cache; when
    /// the router block does not set it, the section's <c>max_batch_size</c>, else 64.
    /// </summary>
    public int? MaxBatchSize { get; init; }
}
