using Microsoft.Extensions.Logging;

namespace Tandem.Server.Disaggregation;

internal static partial class DisaggregationLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: {Reason}; recomputing the prompt here (kv_transfer_failure_policy: recompute)")]
    public static partial void Recomputing(ILogger logger, string requestId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {RequestId}: {Reason}; answering 502 (kv_transfer_failure_policy: fail)")]
    public static partial void TransferFailed(ILogger logger, string requestId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "KV transfer listener on {Endpoint}")]
    public static partial void Listening(ILogger logger, string endpoint);
}
