using Tandem.Router.State;

namespace Tandem.Router.Routing;

/// <summary>
/// A section's rule for choosing a server (TensorRT-LLM's router). Each section has its own instance, so a policy may
/// keep its own position; load lives in <see cref="UpstreamServer"/>. Add one: a file with the class and one line in
/// <see cref="RoutingPolicies"/>.
/// </summary>
public interface IRoutingPolicy
{
    string Name { get; }

    /// <summary>Chooses among <paramref name="available"/> (never empty: servers that are up and not excluded).</summary>
    UpstreamServer Pick(IReadOnlyList<UpstreamServer> available, long promptTokens);
}
