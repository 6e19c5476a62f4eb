using Microsoft.Extensions.Logging;

namespace Tandem.Router;

internal static partial class RouterLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Tandem disaggregated router ready at {Url}: {ContextCount} context server(s) ({ContextPolicy}), {GenerationCount} generation server(s) ({GenerationPolicy}), model {Model}")]
    public static partial void Ready(ILogger logger, string url, int contextCount, string contextPolicy, int generationCount, string generationPolicy, string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "Aggregated mode (context_servers.num_instances: 0): every request goes whole to a generation server")]
    public static partial void Aggregated(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gen-only benchmark mode (TRTLLM_DISAGG_BENCHMARK_GEN_ONLY=1): no context leg; every request goes to a generation server as generation_only with first token 7 and ignore_eos, its prompt's KV cache left uninitialized: answers are meaningless, for decode measurements only")]
    public static partial void BenchmarkGenerationOnly(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting for {Count} server(s) to answer /health: {Servers}")]
    public static partial void Waiting(ILogger logger, int count, string servers);

    [LoggerMessage(Level = LogLevel.Information, Message = "All {Count} server(s) are healthy")]
    public static partial void AllHealthy(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Role} leg to {Server} failed ({Reason}); attempt {Attempt} of {Attempts}")]
    public static partial void LegFailed(ILogger logger, string role, string server, string reason, int attempt, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {Path} failed with {Status}: {Reason}")]
    public static partial void RequestFailed(ILogger logger, string path, int status, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Asked {Server} to free the KV blocks of ctx_request_id {CtxRequestId}, whose generation leg did not complete: {Result}")]
    public static partial void KvRelease(ILogger logger, string server, long? ctxRequestId, string result);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not ask {Server} to free the KV blocks of ctx_request_id {CtxRequestId} ({Reason}); its lease frees them")]
    public static partial void KvReleaseFailed(ILogger logger, string server, long? ctxRequestId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {Path} ended at the context server ({FinishReason})")]
    public static partial void FinishedAtContext(ILogger logger, string path, string finishReason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {Path} cancelled: the client went away")]
    public static partial void ClientGone(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error while serving {Path}")]
    public static partial void Unhandled(ILogger logger, Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Metrics: context legs {ContextStarted} sent, {ContextCompleted} completed; generation legs {GenerationStarted} sent, {GenerationCompleted} completed; {Active} request(s) active")]
    public static partial void Summary(ILogger logger, long contextStarted, long contextCompleted, long generationStarted, long generationCompleted, long active);

    [LoggerMessage(Level = LogLevel.Information, Message = "Clock of {Server} aligned for /perf_metrics: offset {Offset:0.######} s, delay {Delay:0.######} s")]
    public static partial void ClockAligned(ILogger logger, string server, double offset, double delay);

    [LoggerMessage(Level = LogLevel.Debug, Message = "KV-cache events of {Server}: {Count} event(s), {Changed} block(s) stored or removed")]
    public static partial void KvEventsApplied(ILogger logger, string server, int count, int changed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "POST /kv_cache_events of {Server} failed ({Reason}); kv_cache_aware keeps its last view of that server and tries again after its next request")]
    public static partial void KvEventsFailed(ILogger logger, string server, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Conditional disaggregation: a generation server holds {Matched} of the prompt's {Tokens} tokens (at most {Limit} left to compute): the request goes whole to it")]
    public static partial void PrefillsLocally(ILogger logger, int tokens, int matched, int limit);

    [LoggerMessage(Level = LogLevel.Information, Message = "kv_cache_aware routing ({Role} servers): prompts tokenized with the tokenizer and chat template of {Model}, hashed in blocks of {TokensPerBlock} tokens")]
    public static partial void KvAwareReady(ILogger logger, string role, string model, int tokensPerBlock);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Clock of {Server} aligned again: offset {Offset:0.######} s, delay {Delay:0.######} s")]
    public static partial void ClockRealigned(ILogger logger, string server, double offset, double delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot align the clock of {Server} for /perf_metrics ({Reason}); its metrics are skipped until a later call aligns it")]
    public static partial void ClockAlignFailed(ILogger logger, string server, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "/perf_metrics of {Server} skipped: {Reason}")]
    public static partial void PerfMetricsFetchFailed(ILogger logger, string server, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "KV layouts differ: context server {ContextServer} has [{ContextLayout}], generation server {GenerationServer} has [{GenerationLayout}]; the generation server refuses such transfers, so requests between them fail. Give both sections the same model, quantization and kv_cache_config (dtype, tokens_per_block)")]
    public static partial void KvLayoutMismatch(ILogger logger, string contextServer, string contextLayout, string generationServer, string generationLayout);
}
