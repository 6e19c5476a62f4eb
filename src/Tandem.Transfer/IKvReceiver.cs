using Tandem.Engine.KvCache;

namespace Tandem.Transfer;

/// <summary>The generation side of a transport: pulls the blocks a context server registered.</summary>
public interface IKvReceiver
{
    /// <summary>
    /// Pulls and acknowledges the request's blocks. Expected failures come back as a failed result;
    /// only cancellation through <paramref name="cancellationToken"/> throws.
    /// </summary>
    Task<KvPullResult> PullAsync(KvTransferState state, KvCacheLayout localLayout, CancellationToken cancellationToken);

    KvTransferStats Stats { get; }
}
