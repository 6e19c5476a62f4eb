using Tandem.Router.State;

namespace Tandem.Router.Routing;

/// <summary><c>round_robin</c> (the default): the servers in turn, whatever their load.</summary>
internal sealed class RoundRobinPolicy : IRoutingPolicy
{
    public const string PolicyName = "round_robin";

    private uint _next = uint.MaxValue;

    public string Name => PolicyName;

    public UpstreamServer Pick(IReadOnlyList<UpstreamServer> available, long promptTokens) =>
        available[(int)(Interlocked.Increment(ref _next) % (uint)available.Count)];
}
