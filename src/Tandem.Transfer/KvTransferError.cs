namespace Tandem.Transfer;

/// <summary>Why a pull failed. The byte values travel in error frames and must not change.</summary>
public enum KvTransferError : byte
{
    /// <summary>The context server's transfer listener could not be reached.</summary>
    Unreachable = 1,

    /// <summary>The secret did not match the request's.</summary>
    Refused = 2,

    /// <summary>The request is unknown, already transferred, or its lease expired.</summary>
    NotFound = 3,

    /// <summary>The two caches' layouts differ; the reason names both.</summary>
    LayoutMismatch = 4,

    /// <summary>The connection was lost after it was established.</summary>
    Broken = 5,

    /// <summary>The peer did not answer in time.</summary>
    Timeout = 6,

    /// <summary>The peer sent bytes that do not follow the protocol.</summary>
    Protocol = 7,
}
