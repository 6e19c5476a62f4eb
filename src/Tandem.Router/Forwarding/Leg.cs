using Tandem.Router.State;

namespace Tandem.Router.Forwarding;

/// <summary>
/// One leg in progress: the server that took it, its load lease, and the call with response headers received;
/// <c>ended</c> runs once when it is disposed (the section's policy hears that the server finished a request).
/// </summary>
internal sealed class Leg(UpstreamServer server, ServerLease lease, UpstreamCall call, long startTimestamp, Action? ended = null) : IDisposable
{
    public UpstreamServer Server { get; } = server;

    public UpstreamCall Call { get; } = call;

    public long StartTimestamp { get; } = startTimestamp;

    private int _disposed;

    public void Dispose()
    {
        Call.Dispose();
        lease.Dispose();
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            ended?.Invoke();
        }
    }
}
