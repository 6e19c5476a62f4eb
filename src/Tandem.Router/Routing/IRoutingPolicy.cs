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

    /// <summary>
    /// <see cref="Pick(IReadOnlyList{UpstreamServer}, long)"/> for a request whose prompt's full blocks hash to
    /// <paramref name="blockHashes"/> (null when not hashed); only a cache-aware policy looks at them.
    /// </summary>
    UpstreamServer Pick(IReadOnlyList<UpstreamServer> available, long promptTokens, IReadOnlyList<ulong>? blockHashes) => Pick(available, promptTokens);

    /// <summary>A request this section sent to <paramref name="server"/> ended there.</summary>
    void Finished(UpstreamServer server)
    {
    }
}
