using Microsoft.Extensions.Logging;

namespace Tandem.Engine.Execution;

internal static partial class EngineLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Engine ready: {Blocks} KV blocks of {TokensPerBlock} tokens ({CapacityTokens} tokens, {Megabytes} MiB of {KvDType}), max_batch_size {MaxBatchSize}, max_num_tokens {MaxNumTokens}, max_seq_len {MaxSeqLen}, {Threads} threads")]
    public static partial void Ready(ILogger logger, int blocks, int tokensPerBlock, long capacityTokens, long megabytes, string kvDType, int maxBatchSize, int maxNumTokens, int maxSeqLen, int threads);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} preempted (KV blocks exhausted); it will recompute its {Tokens} tokens")]
    public static partial void Preempted(ILogger logger, string requestId, int tokens);

    [LoggerMessage(Level = LogLevel.Error, Message = "Engine step failed; its {Count} requests are failed and their blocks freed")]
    public static partial void StepFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "KV blocks of context-only request {RequestId} were not transferred within {Seconds} s; freed")]
    public static partial void LeaseExpired(ILogger logger, string requestId, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {RequestId} finished: {Reason}, {Prompt} prompt tokens, {Generated} generated")]
    public static partial void Finished(ILogger logger, string requestId, FinishReason reason, int prompt, int generated);
}
