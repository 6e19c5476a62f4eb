using Tandem.Router.State;

namespace Tandem.Router.Routing;

/// <summary>
/// <c>load_balancing</c>: the server with the fewest requests in flight, or with <c>use_tokens: true</c> the fewest
/// prompt tokens in flight. Ties go round robin, so an idle cluster still spreads requests.
/// </summary>
internal sealed class LoadBalancingPolicy(bool useTokens) : IRoutingPolicy
{
    public const string PolicyName = "load_balancing";

    private uint _start = uint.MaxValue;

    public string Name => PolicyName;

    public UpstreamServer Pick(IReadOnlyList<UpstreamServer> available, long promptTokens)
    {
        var start = (int)(Interlocked.Increment(ref _start) % (uint)available.Count);
        var best = available[start];
        for (var i = 1; i < available.Count; i++)
        {
            var candidate = available[(start + i) % available.Count];
            if (Load(candidate) < Load(best))
            {
                best = candidate;
            }
        }

        return best;
    }

    private long Load(UpstreamServer server) => useTokens ? server.ActiveTokens : server.ActiveRequests;
}
