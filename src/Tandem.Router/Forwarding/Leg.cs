using Tandem.Router.State;

namespace Tandem.Router.Forwarding;

/// <summary>One leg in progress: the server that took it, its load lease, and the call with response headers received.</summary>
internal sealed class Leg(UpstreamServer server, ServerLease lease, UpstreamCall call, long startTimestamp) : IDisposable
{
    public UpstreamServer Server { get; } = server;

    public UpstreamCall Call { get; } = call;

    public long StartTimestamp { get; } = startTimestamp;

    public void Dispose()
    {
        Call.Dispose();
        lease.Dispose();
    }
}
