using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tandem.Contracts;
using Tandem.Router.Endpoints;
using Tandem.Router.Metrics;

namespace Tandem.Router.Forwarding;

/// <summary>
/// <c>POST /v1/completions</c> and <c>/v1/chat/completions</c>, context first (reference §1.2):
/// <code>
/// client ─▶ parse ─▶ context leg (context_only, stream: false) ─▶ verify ─┬─ finished ─▶ answer it (JSON or SSE)
///                                                                        └─ not_finished ─▶ generation leg
///            (generation_only + the context params + prompt_token_ids, stream as asked) ─▶ relay JSON or SSE
/// </code>
/// In aggregated mode (no context servers) the client's request goes whole to a generation server. The client's abort
/// token bounds every upstream call, so a client that leaves cancels the leg in flight. With
/// <c>perf_metrics_max_requests</c> set, a request that reaches its generation leg's first token leaves a
/// <see cref="PerfRecord"/> for <c>/perf_metrics</c>.
/// </summary>
internal sealed class DisaggregatedFlow(RouterState state, ILogger logger)
{
    private const long MaxBodyBytes = 64L << 20;

    private readonly LegSender _sender = new(state, logger);

    private readonly ContextRelease _release = new(state, logger);

    public Task HandleCompletionAsync(HttpContext context) => HandleAsync(context, chat: false);

    public Task HandleChatAsync(HttpContext context) => HandleAsync(context, chat: true);

    private async Task HandleAsync(HttpContext context, bool chat)
    {
        var arrival = state.Time.GetTimestamp();
        state.Metrics.RequestStarted();
        var outcome = "cancelled";
        try
        {
            outcome = await RunAsync(context, chat, arrival).ConfigureAwait(false);
        }
        finally
        {
            state.Metrics.RequestFinished(outcome);
            if (outcome == "cancelled")
            {
                var path = PathOf(context);
                RouterLog.ClientGone(logger, path);
            }
        }
    }

    private async Task<string> RunAsync(HttpContext context, bool chat, long arrival)
    {
        if (!state.Ready)
        {
            return await FailAsync(context, ErrorResponse.ServiceUnavailable("The router is still waiting for its servers to become healthy."), "unavailable").ConfigureAwait(false);
        }

        var body = await JsonResponses.ReadBodyAsync(context.Request, MaxBodyBytes).ConfigureAwait(false);
        if (body is null)
        {
            return await FailAsync(context, ErrorResponse.InvalidRequest($"The request body is larger than {MaxBodyBytes >> 20} MiB."), "client_error").ConfigureAwait(false);
        }

        var (request, error) = ClientRequest.Parse(body, chat);
        if (request is null)
        {
            return await FailAsync(context, error!.ToErrorResponse(), "client_error").ConfigureAwait(false);
        }

        var generationPrompt = state.Cluster.Generation.Blocks?.Hash(request.Parsed);
        if (state.Options.BenchmarkGenerationOnly)
        {
            return await GenerationAsync(context, request, LegRequests.BenchmarkGeneration(request), request.PromptWeight, null, generationPrompt).ConfigureAwait(false);
        }

        if (state.Config.IsAggregated || PrefillsLocally(generationPrompt))
        {
            return await GenerationAsync(context, request, LegRequests.Whole(request), request.PromptWeight, null, generationPrompt).ConfigureAwait(false);
        }

        var aborted = context.RequestAborted;
        var contextSection = state.Cluster.Context;
        var contextPrompt = contextSection.Blocks is { } blocks
            ? (blocks.TokensPerBlock == state.Cluster.Generation.Blocks?.TokensPerBlock ? generationPrompt : blocks.Hash(request.Parsed))
            : null;
        var (leg, failure) = await _sender.SendAsync(
            contextSection, request.Path, LegRequests.Context(request), request.PromptWeight, null, aborted, contextPrompt?.Blocks).ConfigureAwait(false);
        if (leg is null)
        {
            return await FailAsync(context, failure!).ConfigureAwait(false);
        }

        ContextAnswer? answer;
        var contextServer = leg.Server;
        using (leg)
        {
            var relay = new ResponseRelay(_sender);
            if (!leg.Call.Response.IsSuccessStatusCode)
            {
                var (outcome, statusFailure) = await relay.RelayErrorStatusAsync(context, leg, "context").ConfigureAwait(false);
                Log(context, statusFailure);
                return outcome;
            }

            var (answerBody, readFailure) = await relay.ReadAsync(leg, "context", request.Path).ConfigureAwait(false);
            if (answerBody is null)
            {
                return await FailAsync(context, readFailure!).ConfigureAwait(false);
            }

            (answer, var problem) = ContextAnswer.Verify(answerBody);
            if (answer is null)
            {
                var bad = new UpstreamFailure(UpstreamFailureKind.BadResponse, $"context server {leg.Server.Name} {problem}");
                _sender.Record(leg.Server, bad);
                return await FailAsync(context, bad).ConfigureAwait(false);
            }

            state.Metrics.LegCompleted("context", state.Time.GetElapsedTime(leg.StartTimestamp));
        }

        if (answer.Finished)
        {
            return await AnswerFromContextAsync(context, request, answer, contextServer.Name).ConfigureAwait(false);
        }

        var perf = answer.CtxRequestId is { } ctxRequestId ? new PerfStart(contextServer.Name, ctxRequestId, arrival) : null;
        var generationOutcome = "cancelled";
        try
        {
            generationOutcome = await GenerationAsync(context, request, LegRequests.Generation(request, answer), answer.PromptTokenIds.Count, contextServer, generationPrompt, perf).ConfigureAwait(false);
            return generationOutcome;
        }
        finally
        {
            if (generationOutcome != "completed")
            {
                // The generation server may never pull this request's blocks: free them now, not at the lease's end.
                _release.Start(contextServer, answer);
            }
        }
    }

    /// <summary>
    /// Conditional disaggregation (<c>conditional_disagg_config.max_local_prefill_length</c>, TensorRT-LLM §5.5): true when
    /// an available generation server holds the start of the prompt and at most that many of its tokens are left to
    /// compute, so the request goes whole to it (its kv_cache_aware pick prefers that server) instead of taking both legs.
    /// </summary>
    private bool PrefillsLocally(Routing.HashedPrompt? prompt)
    {
        var generation = state.Cluster.Generation;
        if (state.Config.MaxLocalPrefillLength is not { } limit || prompt is null || generation.Policy is not Routing.KvCacheAwarePolicy policy)
        {
            return false;
        }

        var now = state.Time.GetUtcNow();
        var matched = generation.Servers.Where(s => s.IsAvailable(now)).Select(s => policy.MatchedBlocks(s, prompt.Blocks)).DefaultIfEmpty(0).Max() * policy.TokensPerBlock;
        var local = matched > 0 && prompt.Tokens - matched <= limit;
        if (local)
        {
            RouterLog.PrefillsLocally(logger, prompt.Tokens, matched, limit);
        }

        return local;
    }

    private async Task<string> GenerationAsync(
        HttpContext context, ClientRequest request, byte[] body, long promptWeight, State.UpstreamServer? contextServer, Routing.HashedPrompt? prompt, PerfStart? perf = null)
    {
        var (leg, failure) = await _sender.SendAsync(
            state.Cluster.Generation, request.Path, body, promptWeight, contextServer, context.RequestAborted, prompt?.Blocks).ConfigureAwait(false);
        if (leg is null)
        {
            return await FailAsync(context, failure!).ConfigureAwait(false);
        }

        using (leg)
        {
            var relay = new ResponseRelay(_sender);
            if (!leg.Call.Response.IsSuccessStatusCode)
            {
                var (statusOutcome, statusFailure) = await relay.RelayErrorStatusAsync(context, leg, "generation", handOff: contextServer is not null).ConfigureAwait(false);
                Log(context, statusFailure);
                return statusOutcome;
            }

            var firstToken = FirstTokenRecorder(perf, leg.Server.Name);
            var outcome = request.Stream
                ? await relay.RelayStreamAsync(context, leg, request.Path, firstToken).ConfigureAwait(false)
                : await relay.RelayWholeAsync(context, leg, request.Path, firstToken).ConfigureAwait(false);
            if (outcome == "completed")
            {
                state.Metrics.LegCompleted("generation", state.Time.GetElapsedTime(leg.StartTimestamp));
            }

            return outcome;
        }
    }

    /// <summary>What records the request for <c>/perf_metrics</c> when its first generated token arrives; null when not recorded.</summary>
    private Action? FirstTokenRecorder(PerfStart? perf, string generationServer)
    {
        if (perf is null || state.PerfRecords is not { } records)
        {
            return null;
        }

        return () => records.Add(new PerfRecord(
            perf.ContextServer, generationServer, perf.CtxRequestId, state.Time.Seconds(perf.ArrivalTimestamp), state.Time.NowSeconds()));
    }

    /// <summary>The request ended at its first token: the context answer is the result, as JSON or as a complete SSE stream.</summary>
    private async Task<string> AnswerFromContextAsync(HttpContext context, ClientRequest request, ContextAnswer answer, string server)
    {
        RouterLog.FinishedAtContext(logger, request.Path, answer.FinishReason);
        if (!request.Stream)
        {
            await JsonResponses.WriteAsync(context.Response, answer.AsClientResponse()).ConfigureAwait(false);
            return "finished_at_context";
        }

        var events = new ArrayBufferWriter<byte>(1024);
        if (!FinishedContextStream.TryWrite(events, answer, request, out var problem))
        {
            return await FailAsync(context, new UpstreamFailure(UpstreamFailureKind.BadResponse, $"context server {server} {problem}")).ConfigureAwait(false);
        }

        ResponseRelay.StartEventStream(context.Response);
        await context.Response.Body.WriteAsync(events.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        return "finished_at_context";
    }

    private async Task<string> FailAsync(HttpContext context, UpstreamFailure failure)
    {
        if (failure.Kind == UpstreamFailureKind.ClientGone)
        {
            return "cancelled";
        }

        return await FailAsync(context, failure.ToErrorResponse(), ResponseRelay.Outcome(failure)).ConfigureAwait(false);
    }

    private async Task<string> FailAsync(HttpContext context, ErrorResponse error, string outcome)
    {
        if (error.StatusCode >= 500)
        {
            RouterLog.RequestFailed(logger, PathOf(context), error.StatusCode, error.Error.Message);
        }

        await JsonResponses.WriteErrorAsync(context.Response, error).ConfigureAwait(false);
        return outcome;
    }

    private static string PathOf(HttpContext context) => context.Request.Path.Value ?? "";

    private void Log(HttpContext context, UpstreamFailure? failure)
    {
        if (failure is not null)
        {
            RouterLog.RequestFailed(logger, PathOf(context), 502, failure.Message);
        }
    }
}
