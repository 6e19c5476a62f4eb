namespace Tandem.Transfer;

public sealed record KvTransferServerOptions
{
    /// <summary>Address the listener binds: an IP address, a host name, or a wildcard (0.0.0.0, ::, *).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 = an ephemeral port.</summary>
    public int Port { get; init; }

    /// <summary>Host written into every transfer state; null = <see cref="Host"/>, or when that is a wildcard the choice of <see cref="KvTransferServerAddress"/>.</summary>
    public string? AdvertisedHost { get; init; }

    /// <summary>Most tokens' KV one transfer keeps in flight beyond its snapshot (the data frame size); null = 4 MiB frames.</summary>
    public long? MaxTokensInBuffer { get; init; }

    /// <summary>How long a registered request stays pullable (the engine's held-KV timeout).</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest wait on a receiver for any one step (hello, ready, a data frame, the acknowledgement).</summary>
    public TimeSpan IoTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
