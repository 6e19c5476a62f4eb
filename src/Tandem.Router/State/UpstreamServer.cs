namespace Tandem.Router.State;

/// <summary>
/// What the router knows about one worker at run time, kept apart from its config: requests and prompt tokens in
/// flight (read by the policies), counters, and whether it recently failed. A server that failed a connection is
/// skipped by the next picks until <see cref="RetryAfter"/>, then tried again. A mixed server (in both sections) has
/// one state shared by both.
/// </summary>
public sealed class UpstreamServer(Uri url)
{
    private long _activeRequests;
    private long _activeTokens;
    private long _requests;
    private long _errors;
    private long _unavailableUntilTicks;
    private string? _lastError;

    public Uri Url { get; } = url;

    /// <summary><c>host:port</c>, as the config names it.</summary>
    public string Name { get; } = url.Authority;

    public long ActiveRequests => Interlocked.Read(ref _activeRequests);

    public long ActiveTokens => Interlocked.Read(ref _activeTokens);

    public long Requests => Interlocked.Read(ref _requests);

    public long Errors => Interlocked.Read(ref _errors);

    public string? LastError => Volatile.Read(ref _lastError);

    public DateTimeOffset RetryAfter => new(Interlocked.Read(ref _unavailableUntilTicks), TimeSpan.Zero);

    public bool IsAvailable(DateTimeOffset now) => now.UtcTicks >= Interlocked.Read(ref _unavailableUntilTicks);

    /// <summary>Counts a request in flight until the returned lease is disposed.</summary>
    public ServerLease Acquire(long promptTokens)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _activeRequests);
        Interlocked.Add(ref _activeTokens, promptTokens);
        return new ServerLease(this, promptTokens);
    }

    internal void Release(long promptTokens)
    {
        Interlocked.Decrement(ref _activeRequests);
        Interlocked.Add(ref _activeTokens, -promptTokens);
    }

    /// <summary>Counts a failed call (connection, timeout, bad answer) and remembers why.</summary>
    public void RecordError(string reason)
    {
        Interlocked.Increment(ref _errors);
        Volatile.Write(ref _lastError, reason);
    }

    /// <summary>Skips this server in the picks until <paramref name="until"/> (it refused a connection or failed its health probe).</summary>
    public void MarkUnavailable(DateTimeOffset until) => Interlocked.Exchange(ref _unavailableUntilTicks, until.UtcTicks);

    public void MarkHealthy() => Interlocked.Exchange(ref _unavailableUntilTicks, 0);
}

/// <summary>One request counted on a server; disposing it (once) takes the request off the server's load.</summary>
public sealed class ServerLease(UpstreamServer server, long promptTokens) : IDisposable
{
    private int _released;

    public UpstreamServer Server { get; } = server;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            Server.Release(promptTokens);
        }
    }
}
