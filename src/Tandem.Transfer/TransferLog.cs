using System.Net;
using Microsoft.Extensions.Logging;

namespace Tandem.Transfer;

internal static partial class TransferLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "KV transfer listener on {Endpoint}, advertised as {Host}:{Port}")]
    public static partial void Listening(ILogger logger, IPEndPoint endpoint, string host, int port);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Sent KV of request {RequestId}: {Bytes} bytes in {Milliseconds:F1} ms; blocks released")]
    public static partial void Sent(ILogger logger, string requestId, long bytes, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "KV blocks of request {RequestId} freed without a transfer: its generation leg will not come")]
    public static partial void Released(ILogger logger, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "KV transfer of request {RequestId} to {Peer} failed ({Error}): {Reason}")]
    public static partial void SendFailed(ILogger logger, string requestId, string peer, KvTransferError error, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "KV transfer listener stopped accepting")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pulled KV of request {RequestId} from {Host}:{Port}: {Bytes} bytes in {Milliseconds:F1} ms")]
    public static partial void Pulled(ILogger logger, string requestId, string host, int port, long bytes, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "KV pull of request {RequestId} from {Host}:{Port} failed ({Error}): {Reason}")]
    public static partial void PullFailed(ILogger logger, string requestId, string host, int port, KvTransferError error, string reason);
}
