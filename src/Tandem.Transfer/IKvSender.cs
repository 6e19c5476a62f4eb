namespace Tandem.Transfer;

/// <summary>The context side of a transport: makes a finished context-only request's blocks pullable.</summary>
public interface IKvSender
{
    /// <summary>Remembers the request under a fresh secret until it is pulled or its lease ends.</summary>
    KvTransferState Register(string requestId);

    KvTransferStats Stats { get; }

    /// <summary>
    /// Frees a registered request's held blocks without a transfer, because its generation leg will not come (the
    /// client left between the legs, or the generation leg failed). The caller proves it saw the context answer by
    /// the request's secret. Idempotent: a request already transferred, expired or released says so and changes
    /// nothing; one being transferred right now is left to that transfer.
    /// </summary>
    Task<KvReleaseResult> ReleaseAsync(string requestId, ReadOnlyMemory<byte> secret);
}
