using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tandem.Contracts;
using Tandem.Engine.Execution;
using Tandem.Server.Generation;
using Tandem.Server.Http;
using Tandem.Server.Metrics;
using FinishReason = Tandem.Contracts.FinishReason;

namespace Tandem.Server.Endpoints;

/// <summary>
/// <c>POST /v1/completions</c> and <c>POST /v1/chat/completions</c>: parse → plan → submit → stream
/// or collect. Every refusal is an OpenAI error object; a client that goes away cancels its engine
/// request (its KV blocks are freed within one engine step).
/// </summary>
internal sealed class GenerationEndpoint(ServerState state, ILogger logger)
{
    private readonly record struct ResponseExtras(long ContextRequestId, bool Recomputed, IPAddress? ArrivedOn, long Arrival, KvPull? Pull);

    /// <summary>A generation-only leg's pulled cache: bytes, and when the pull started and ended (TimeProvider timestamps).</summary>
    private readonly record struct KvPull(long Bytes, long Start, long End);

    private const long MaxBodyBytes = 64L << 20;

    public Task HandleCompletionAsync(HttpContext context) => HandleAsync(context, chat: false);

    public Task HandleChatAsync(HttpContext context) => HandleAsync(context, chat: true);

    private async Task HandleAsync(HttpContext context, bool chat)
    {
        var arrival = state.Time.GetTimestamp();
        var body = await HttpResponses.ReadBodyAsync(context.Request, MaxBodyBytes).ConfigureAwait(false);
        if (body is null)
        {
            await HttpResponses.WriteErrorAsync(context.Response, ErrorResponse.InvalidRequest($"The request body is larger than {MaxBodyBytes >> 20} MiB.")).ConfigureAwait(false);
            return;
        }

        var requestId = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N");
        GenerationPlan? plan;
        ErrorResponse? error;
        long contextRequestId = 0;
        if (chat)
        {
            var parsed = RequestParser.ParseChat(body);
            (plan, error) = parsed.IsSuccess ? RequestPlanner.PlanChat(parsed.Value, state, EngineId(parsed.Value, ref requestId, ref contextRequestId)) : (null, parsed.Error.ToErrorResponse());
        }
        else
        {
            var parsed = RequestParser.ParseCompletion(body);
            (plan, error) = parsed.IsSuccess ? RequestPlanner.PlanCompletion(parsed.Value, state, EngineId(parsed.Value, ref requestId, ref contextRequestId)) : (null, parsed.Error.ToErrorResponse());
        }

        if (error is not null)
        {
            await RefuseAsync(context, requestId, "rejected", error).ConfigureAwait(false);
            return;
        }

        var recomputed = false;
        KvPull? pull = null;
        if (plan!.Type == RequestType.GenerationOnly)
        {
            var pullStart = state.Time.GetTimestamp();
            var kv = await state.Disaggregation.PullAsync(plan.Disaggregated!, requestId, plan.Request.PromptTokens.Count, context.RequestAborted).ConfigureAwait(false);
            if (kv.Error is not null)
            {
                await RefuseAsync(context, requestId, "rejected", kv.Error).ConfigureAwait(false);
                return;
            }

            recomputed = kv.Recomputed;
            pull = kv.Snapshot is { } snapshot ? new KvPull(snapshot.Data.LongLength, pullStart, state.Time.GetTimestamp()) : null;
            plan = plan with { Request = plan.Request with { ImportedKv = kv.Snapshot } };
        }

        // One engine request per choice (OpenAI's n); a refusal of any cancels those already submitted.
        var handles = new RequestHandle[plan!.Choices];
        for (var i = 0; i < handles.Length; i++)
        {
            var submitted = state.Model.Engine.Submit(plan.ChoiceRequest(i));
            if (!submitted.Accepted)
            {
                foreach (var handle in handles.AsSpan(0, i))
                {
                    handle.Cancel();
                }

                var refusal = submitted.Error switch
                {
                    SubmitError.QueueFull => ErrorResponse.RateLimited($"The server is busy: {submitted.Message}. Retry later."),
                    SubmitError.Stopped => ErrorResponse.ServiceUnavailable($"The server is shutting down: {submitted.Message}."),
                    _ => ErrorResponse.InvalidRequest(submitted.Message ?? "invalid request"),
                };
                await RefuseAsync(context, requestId, "rejected", refusal, submitted.Error == SubmitError.QueueFull ? TimeSpan.FromSeconds(1) : null).ConfigureAwait(false);
                return;
            }

            handles[i] = submitted.Handle!;
        }

        var format = chat ? (ResponseFormat)new ChatFormat(state.Model.Tokenizer) : new CompletionFormat(state.Model.Tokenizer);
        var extras = new ResponseExtras(contextRequestId, recomputed, context.Connection.LocalIpAddress, arrival, pull);
        var header = new ResponseHeader(requestId, state.Time.GetUtcNow().ToUnixTimeSeconds(), state.ServedModelName);
        try
        {
            if (plan.Stream)
            {
                await StreamAsync(context, plan, handles, format, header, extras).ConfigureAwait(false);
            }
            else
            {
                await CollectAsync(context, plan, handles, format, header, extras).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            foreach (var handle in handles)
            {
                handle.Cancel();
            }

            ServerLog.ClientGone(logger, requestId);
        }
    }

    private async Task CollectAsync(HttpContext context, GenerationPlan plan, RequestHandle[] handles, ResponseFormat format, ResponseHeader header, ResponseExtras extras)
    {
        var runs = await Task.WhenAll(handles.Select((handle, index) => CollectChoiceAsync(context, plan, handle, index, extras))).ConfigureAwait(false);
        if (runs.FirstOrDefault(r => r.Reason is null) is { Result: { } failed })
        {
            if (!context.RequestAborted.IsCancellationRequested)
            {
                await HttpResponses.WriteErrorAsync(context.Response, FailureResponse(failed)).ConfigureAwait(false);
            }

            return;
        }

        var choices = runs.Select(r => new ChoiceOutput(r.Text, r.Tokens, r.Reason!.Value, ChoiceParams(plan, r.Result, extras))).ToList();
        var promptIds = plan.Type == RequestType.ContextOnly ? plan.Request.PromptTokens : null;
        await format.WriteWholeAsync(context.Response, header, plan, choices, TotalUsage(runs.Select(r => r.Result)), promptIds).ConfigureAwait(false);
    }

    private async Task<(RunResult Result, FinishReason? Reason, string Text, List<GeneratedToken> Tokens)> CollectChoiceAsync(
        HttpContext context, GenerationPlan plan, RequestHandle handle, int index, ResponseExtras extras)
    {
        var text = new System.Text.StringBuilder();
        var tokens = new List<GeneratedToken>();
        var (result, reason) = await RunChoiceAsync(
            plan, handle, index, extras,
            delta =>
            {
                text.Append(delta.Text);
                tokens.AddRange(delta.Tokens);
                return ValueTask.CompletedTask;
            },
            context.RequestAborted).ConfigureAwait(false);
        return (result, reason, text.ToString(), tokens);
    }

    /// <summary>One choice from its engine events to its outcome: latencies observed, the outcome (and perf metrics) recorded.</summary>
    private async Task<(RunResult Result, FinishReason? Reason)> RunChoiceAsync(
        GenerationPlan plan, RequestHandle handle, int index, ResponseExtras extras, Func<TextDelta, ValueTask> onDelta, CancellationToken cancellationToken)
    {
        var latency = new LatencyTracker(state.Metrics, state.Time);
        var result = await GenerationRun.RunAsync(
            state.Model, handle, plan.Request.PromptTokens.Count, plan.Stops, plan.Logprobs is not null, onDelta, latency.Token, cancellationToken).ConfigureAwait(false);
        latency.Finished();
        return (result, Finished(result, plan.ChoiceRequest(index).Id, plan, latency, extras));
    }

    private async Task StreamAsync(HttpContext context, GenerationPlan plan, RequestHandle[] handles, ResponseFormat format, ResponseHeader header, ResponseExtras extras)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var output = response.BodyWriter;
        var aborted = context.RequestAborted;
        for (var index = 0; index < handles.Length; index++)
        {
            format.WriteStart(output, header, plan, index);
        }

        await output.FlushAsync(aborted).ConfigureAwait(false);

        // The choices run side by side; their chunks share one stream, one writer at a time.
        using var gate = new SemaphoreSlim(1, 1);
        async ValueTask WriteAsync(Action write)
        {
            await gate.WaitAsync(aborted).ConfigureAwait(false);
            try
            {
                write();
                await output.FlushAsync(aborted).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }

        async Task<(RunResult Result, FinishReason? Reason)> StreamChoiceAsync(RequestHandle handle, int index)
        {
            var offset = plan.EchoText?.Length ?? 0;
            var (result, reason) = await RunChoiceAsync(
                plan, handle, index, extras,
                async delta =>
                {
                    var at = offset;
                    offset += delta.Text.Length;
                    await WriteAsync(() => format.WriteDelta(output, header, delta, at, index)).ConfigureAwait(false);
                },
                aborted).ConfigureAwait(false);
            if (reason is { } finish)
            {
                await WriteAsync(() => format.WriteFinish(output, header, finish, ChoiceParams(plan, result, extras), index)).ConfigureAwait(false);
            }

            return (result, reason);
        }

        var runs = await Task.WhenAll(handles.Select(StreamChoiceAsync)).ConfigureAwait(false);
        if (runs.FirstOrDefault(r => r.Reason is null) is { Result: { } failed })
        {
            if (aborted.IsCancellationRequested)
            {
                return;
            }

            ServerSentEvents.Write(output, FailureResponse(failed));
        }
        else if (plan.IncludeUsage)
        {
            format.WriteUsage(output, header, TotalUsage(runs.Select(r => r.Result)));
        }

        ServerSentEvents.WriteDone(output);
        await output.FlushAsync(aborted).ConfigureAwait(false);
    }

    /// <summary>The prompt once, the completion tokens of every choice, and the prompt tokens block reuse spared (<c>cached_tokens</c>).</summary>
    private Usage TotalUsage(IEnumerable<RunResult> results)
    {
        var all = results.ToList();
        var reused = all.Max(r => r.EngineMetrics?.ReusedBlocks ?? 0);
        var cached = Math.Min(all[0].PromptTokens, reused * state.Model.Engine.Layout.TokensPerBlock);
        return Usage.Create(all[0].PromptTokens, all.Sum(r => r.CompletionTokens), cached);
    }

    /// <summary>
    /// Context-only: the engine id carries TensorRT-LLM's integer ctx_request_id so the transfer can find the held blocks.
    /// </summary>
    private string EngineId(GenerationRequest request, ref string requestId, ref long contextRequestId)
    {
        if (request.DisaggregatedParams?.RequestType == DisaggregatedRequestType.ContextOnly && state.Disaggregation.CheckRole(DisaggregatedRequestType.ContextOnly) is null)
        {
            contextRequestId = state.Disaggregation.NextContextRequestId();
            requestId = $"ctx-{contextRequestId}";
        }

        return requestId;
    }

    /// <summary>The choice's disaggregated_params: transfer details after a context-only leg, the fallback note after a recompute.</summary>
    private DisaggregatedParams? ChoiceParams(GenerationPlan plan, RunResult result, ResponseExtras extras)
    {
        if (plan.Type == RequestType.ContextOnly)
        {
            var first = result.GeneratedTokenIds.Take(1).ToList();
            return result.EngineReason == Engine.Execution.FinishReason.ContextDone
                ? state.Disaggregation.ContextParams(plan.Request.Id, extras.ContextRequestId, first, extras.ArrivedOn)
                : new DisaggregatedParams { RequestType = DisaggregatedRequestType.ContextOnly, FirstGenTokens = first, CtxRequestId = extras.ContextRequestId };
        }

        return extras.Recomputed
            ? new DisaggregatedParams { RequestType = DisaggregatedRequestType.GenerationOnly, KvTransfer = KvTransferOutcomes.Recomputed }
            : null;
    }

    /// <summary>Records the outcome (and, for a completed request, its perf metrics); returns the OpenAI finish reason, or null when the request did not complete.</summary>
    private FinishReason? Finished(RunResult result, string requestId, GenerationPlan plan, LatencyTracker latency, ResponseExtras extras)
    {
        FinishReason? reason = result.FinishReason switch
        {
            "stop" => FinishReason.Stop,
            "length" => FinishReason.Length,
            "not_finished" => FinishReason.NotFinished,
            _ => null,
        };
        var outcome = result.FinishReason ?? result.EngineReason switch
        {
            Engine.Execution.FinishReason.Cancelled => "cancelled",
            Engine.Execution.FinishReason.Rejected => "rejected",
            _ => "error",
        };
        state.Metrics.RequestFinished(outcome, result.PromptTokens, result.CompletionTokens);
        if (result.EngineReason == Engine.Execution.FinishReason.Failed)
        {
            ServerLog.EngineFailure(logger, requestId, result.Message);
        }

        if (reason is not null && result.EngineMetrics is { } engine)
        {
            long? ctxRequestId = plan.Type switch
            {
                RequestType.ContextOnly => extras.ContextRequestId,
                RequestType.GenerationOnly => plan.Disaggregated?.CtxRequestId,
                _ => null,
            };
            state.PerfMetrics.Add(new FinishedRequest(
                requestId, ctxRequestId, extras.Arrival, latency.FirstToken, engine, extras.Pull?.Bytes, extras.Pull?.Start ?? 0, extras.Pull?.End ?? 0));
        }

        return reason;
    }

    private static ErrorResponse FailureResponse(RunResult result) => result.EngineReason switch
    {
        Engine.Execution.FinishReason.Rejected => ErrorResponse.InvalidRequest(result.Message ?? "the request was refused"),
        Engine.Execution.FinishReason.Cancelled => ErrorResponse.ServiceUnavailable(result.Message ?? "the request was cancelled"),
        _ => ErrorResponse.ServerError("The engine failed while generating this response."),
    };

    private async Task RefuseAsync(HttpContext context, string requestId, string outcome, ErrorResponse error, TimeSpan? retryAfter = null)
    {
        ServerLog.Refused(logger, requestId, error.Error.Message);
        state.Metrics.RequestFinished(outcome, 0, 0);
        await HttpResponses.WriteErrorAsync(context.Response, error, retryAfter).ConfigureAwait(false);
    }
}
