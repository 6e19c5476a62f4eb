namespace Tandem.Router.Configuration;

/// <summary>A section's <c>router</c> block: the policy's name and its one argument.</summary>
public sealed record RoutingPolicyConfig
{
    /// <summary>A name registered in <see cref="Routing.RoutingPolicies"/>: <c>round_robin</c> (default) or <c>load_balancing</c>.</summary>
    public string Type { get; init; } = "round_robin";

    /// <summary><c>load_balancing</c> only: weigh servers by active prompt tokens instead of active requests.</summary>
    public bool UseTokens { get; init; }
}
