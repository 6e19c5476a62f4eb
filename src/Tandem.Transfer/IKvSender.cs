namespace Tandem.Transfer;

/// <summary>The context side of a transport: makes a finished context-only request's blocks pullable.</summary>
public interface IKvSender
{
    /// <summary>Remembers the request under a fresh secret until it is pulled or its lease ends.</summary>
    KvTransferState Register(string requestId);

    KvTransferStats Stats { get; }
}
