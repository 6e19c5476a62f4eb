using Tandem.Router.Configuration;

namespace Tandem.Router.Routing;

/// <summary>The policies a section's <c>router.type</c> may name: one line each.</summary>
public static class RoutingPolicies
{
    private static readonly Dictionary<string, Func<RoutingPolicyConfig, IRoutingPolicy>> Factories = new(StringComparer.Ordinal)
    {
        [RoundRobinPolicy.PolicyName] = _ => new RoundRobinPolicy(),
        [LoadBalancingPolicy.PolicyName] = config => new LoadBalancingPolicy(config.UseTokens),
        [KvCacheAwarePolicy.PolicyName] = config => new KvCacheAwarePolicy(config.TokensPerBlock ?? 32, config.MaxBatchSize ?? 64),
    };

    /// <summary>Policies whose <c>router</c> block may set <c>use_tokens</c>.</summary>
    internal static IReadOnlySet<string> TakingTokens { get; } = new HashSet<string>(StringComparer.Ordinal) { LoadBalancingPolicy.PolicyName };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    public static IRoutingPolicy Create(RoutingPolicyConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Factories.TryGetValue(config.Type, out var create)
            ? create(config)
            : throw new ArgumentException($"unknown routing policy '{config.Type}'; the policies are {string.Join(", ", Names)}", nameof(config));
    }
}
