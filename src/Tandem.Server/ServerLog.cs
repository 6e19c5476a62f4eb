using Microsoft.Extensions.Logging;

namespace Tandem.Server;

internal static partial class ServerLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Tandem {Role} server ready at {Url}: model {Model} ({Dtype}, {Layers} layers), {Threads} threads, KV capacity {KvTokens} tokens in {Blocks} blocks, max_batch_size {MaxBatchSize}, max_seq_len {MaxSeqLen}")]
    public static partial void Ready(ILogger logger, string role, string url, string model, string dtype, int layers, int threads, long kvTokens, int blocks, int maxBatchSize, int maxSeqLen);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loading model {Model}")]
    public static partial void Loading(ILogger logger, string model);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} refused: {Reason}")]
    public static partial void Refused(ILogger logger, string requestId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request {RequestId} failed in the engine: {Reason}")]
    public static partial void EngineFailure(ILogger logger, string requestId, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error while serving {Path}")]
    public static partial void Unhandled(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {RequestId} cancelled: the client went away")]
    public static partial void ClientGone(ILogger logger, string requestId);
}
