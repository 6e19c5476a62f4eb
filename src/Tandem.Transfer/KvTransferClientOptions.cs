namespace Tandem.Transfer;

public sealed record KvTransferClientOptions
{
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest wait on the sender for any one step (a control frame, a data frame).</summary>
    public TimeSpan IoTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
