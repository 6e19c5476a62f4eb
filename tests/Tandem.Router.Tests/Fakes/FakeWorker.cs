using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tandem.Router.Tests.Fakes;

/// <summary>
/// A stand-in for a Tandem / TensorRT-LLM worker on 127.0.0.1 (a free port): <c>context_only</c> requests get the first
/// token, <c>prompt_token_ids</c> and params with <c>encoded_opaque_state</c>; <c>generation_only</c> requests must carry
/// those back (else 400) and get <see cref="GenerationTokens"/>, streamed or whole. It records every request and every abort.
/// </summary>
public sealed class FakeWorker : IAsyncDisposable
{
    public const string OpaqueState = "c3RhdGUtb2YtdGhlLWNvbnRleHQ=";
    public const long CtxRequestId = 7;
    public static readonly int[] PromptTokenIds = [1, 15043, 29892, 590];

    private readonly WebApplication _app;
    private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private long _nextCtxRequestId = CtxRequestId;

    private FakeWorker(WebApplication app, Uri address, FakePerfMetrics perfMetrics)
    {
        _app = app;
        Address = address;
        PerfMetrics = perfMetrics;
    }

    public Uri Address { get; }

    public string Name => Address.Authority;

    /// <summary>host:port, as a config lists it.</summary>
    public string ConfigUrl => Name;

    public ConcurrentQueue<(string Path, JsonObject Body)> Requests { get; } = new();

    /// <summary>Its <c>/perf_metrics</c> and <c>/steady_clock_offset</c>: an item queued for every request answered.</summary>
    public FakePerfMetrics PerfMetrics { get; }

    /// <summary>The <c>ctx_request_id</c> of the next context answer (each one takes the next number).</summary>
    public long NextCtxRequestId
    {
        get => Interlocked.Read(ref _nextCtxRequestId);
        set => Interlocked.Exchange(ref _nextCtxRequestId, value);
    }

    public Task Aborted => _aborted.Task;

    /// <summary>What its <c>POST /kv_cache_events</c> hands out next (TensorRT-LLM's event objects), drained by each call.</summary>
    public ConcurrentQueue<JsonObject> KvCacheEvents { get; } = new();

    /// <summary>The bodies of the <c>POST /kv_cache_release</c> calls this worker got, in order.</summary>
    public ConcurrentQueue<JsonObject> Releases { get; } = new();

    /// <summary>Whether <c>/kv_cache_release</c> answers "released" (else "not held").</summary>
    public bool ReleaseHeld { get; set; } = true;

    /// <summary>Whether <c>/kv_cache_release</c> answers 404, as a server without it does.</summary>
    public bool ReleaseMissing { get; set; }

    /// <summary>The <c>kv_cache_layout</c> its <c>/server_info</c> tells; null: it answers 404 there, as a worker without one.</summary>
    public JsonObject? KvLayout { get; set; }

    public string FirstToken { get; set; } = " Once";

    public IReadOnlyList<string> GenerationTokens { get; set; } = [" Once", " upon", " a", " time"];

    /// <summary>The context answer's finish reason: <c>not_finished</c>, or e.g. <c>stop</c> when the request ended at its first token.</summary>
    public string ContextFinishReason { get; set; } = "not_finished";

    public TimeSpan Delay { get; set; }

    public TimeSpan ChunkDelay { get; set; }

    public HttpStatusCode Health { get; set; } = HttpStatusCode.OK;

    /// <summary>When set, answers every generation request with this status and an OpenAI error body.</summary>
    public HttpStatusCode? FailWith { get; set; }

    /// <summary>When set, a generation_only request is answered 400 with this error <c>param</c> (as a worker refusing a hand-off or a field).</summary>
    public string? RefuseGenerationParam { get; set; }

    /// <summary>When set, replaces the context answer (to test malformed ones).</summary>
    public Func<JsonObject, JsonObject>? EditContextAnswer { get; set; }

    /// <summary>Starts one; <paramref name="clock"/> (default: the system's) is its steady clock for <c>/perf_metrics</c>.</summary>
    public static async Task<FakeWorker> StartAsync(TimeProvider? clock = null)
    {
        var perfMetrics = new FakePerfMetrics(clock ?? TimeProvider.System);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        FakeWorker? worker = null;
        app.MapGet("/health", context =>
        {
            context.Response.StatusCode = (int)worker!.Health;
            return Task.CompletedTask;
        });
        app.MapGet("/server_info", async context =>
        {
            if (worker!.KvLayout is not { } layout)
            {
                context.Response.StatusCode = 404;
                return;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(new JsonObject { ["role"] = "both", ["kv_cache_layout"] = layout.DeepClone() }.ToJsonString(), context.RequestAborted);
        });
        app.MapPost("/v1/completions", context => worker!.HandleAsync(context, chat: false));
        app.MapPost("/v1/chat/completions", context => worker!.HandleAsync(context, chat: true));
        perfMetrics.Map(app);
        app.MapPost("/kv_cache_release", async context =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            worker!.Releases.Enqueue(JsonNode.Parse(await reader.ReadToEndAsync(context.RequestAborted))!.AsObject());
            if (worker.ReleaseMissing)
            {
                context.Response.StatusCode = 404;
                return;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"released":{{(worker.ReleaseHeld ? "true" : "false")}},"reason":"fake"}""", context.RequestAborted);
        });
        app.MapPost("/kv_cache_events", async context =>
        {
            var events = new JsonArray();
            while (worker!.KvCacheEvents.TryDequeue(out var e))
            {
                events.Add(e);
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(events.ToJsonString(), context.RequestAborted);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        worker = new FakeWorker(app, new Uri(address), perfMetrics);
        return worker;
    }

    public int Count(string requestType) => Requests.Count(r => RequestType(r.Body) == requestType);

    public static string? RequestType(JsonObject body) => body["disaggregated_params"]?["request_type"]?.GetValue<string>();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>What this worker answers a whole generation request with (the router must relay it byte for byte).</summary>
    public static string GenerationJson(bool chat, string text) => chat
        ? $$$"""{"id":"chatcmpl-gen","object":"chat.completion","created":1,"model":"fake","choices":[{"index":0,"message":{"role":"assistant","content":{{{Quote(text)}}}},"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":4,"completion_tokens":4,"total_tokens":8}}"""
        : $$$"""{"id":"cmpl-gen","object":"text_completion","created":1,"model":"fake","choices":[{"index":0,"text":{{{Quote(text)}}},"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":4,"completion_tokens":4,"total_tokens":8}}""";

    /// <summary>The SSE events this worker streams for a generation request, [DONE] included.</summary>
    public static IEnumerable<string> GenerationEvents(bool chat, IReadOnlyList<string> tokens, bool includeUsage)
    {
        if (chat)
        {
            yield return """data: {"id":"chatcmpl-gen","object":"chat.completion.chunk","created":1,"model":"fake","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""" + "\n\n";
        }

        foreach (var token in tokens)
        {
            yield return chat
                ? $$$"""data: {"id":"chatcmpl-gen","object":"chat.completion.chunk","created":1,"model":"fake","choices":[{"index":0,"delta":{"content":{{{Quote(token)}}}},"finish_reason":null}]}""" + "\n\n"
                : $$$"""data: {"id":"cmpl-gen","object":"text_completion","created":1,"model":"fake","choices":[{"index":0,"text":{{{Quote(token)}}},"logprobs":null,"finish_reason":null}]}""" + "\n\n";
        }

        yield return chat
            ? """data: {"id":"chatcmpl-gen","object":"chat.completion.chunk","created":1,"model":"fake","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}""" + "\n\n"
            : """data: {"id":"cmpl-gen","object":"text_completion","created":1,"model":"fake","choices":[{"index":0,"text":"","logprobs":null,"finish_reason":"length"}]}""" + "\n\n";
        if (includeUsage)
        {
            yield return $$$"""data: {"id":"gen","object":"{{{(chat ? "chat.completion.chunk" : "text_completion")}}}","created":1,"model":"fake","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":{{{tokens.Count}}},"total_tokens":{{{4 + tokens.Count}}}}}""" + "\n\n";
        }

        yield return "data: [DONE]\n\n";
    }

    private static string Quote(string text) => JsonValue.Create(text).ToJsonString();

    private async Task HandleAsync(HttpContext context, bool chat)
    {
        var aborted = context.RequestAborted;
        using var registration = aborted.Register(() => _aborted.TrySetResult());
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = JsonNode.Parse(await reader.ReadToEndAsync(aborted))!.AsObject();
        Requests.Enqueue((context.Request.Path.Value!, body));
        try
        {
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, aborted);
            }

            if (RequestType(body) == "context_only")
            {
                await AnswerContextAsync(context, body, chat);
            }
            else
            {
                await AnswerGenerationAsync(context, body, chat);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
        }
    }

    private async Task AnswerContextAsync(HttpContext context, JsonObject request, bool chat)
    {
        if (request["stream"]?.GetValue<bool>() == true)
        {
            await ErrorAsync(context, 400, "a context_only request must not stream");
            return;
        }

        var ctxRequestId = Interlocked.Increment(ref _nextCtxRequestId) - 1;
        var parameters = new JsonObject
        {
            ["request_type"] = "context_only",
            ["first_gen_tokens"] = new JsonArray(42),
            ["ctx_request_id"] = ctxRequestId,
            ["encoded_opaque_state"] = OpaqueState,
            ["draft_tokens"] = null,
        };
        var choice = chat
            ? new JsonObject { ["index"] = 0, ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = FirstToken }, ["logprobs"] = null, ["finish_reason"] = ContextFinishReason, ["disaggregated_params"] = parameters }
            : new JsonObject { ["index"] = 0, ["text"] = FirstToken, ["logprobs"] = null, ["finish_reason"] = ContextFinishReason, ["disaggregated_params"] = parameters };
        var answer = new JsonObject
        {
            ["id"] = chat ? "chatcmpl-ctx" : "cmpl-ctx",
            ["object"] = chat ? "chat.completion" : "text_completion",
            ["created"] = 1,
            ["model"] = "fake",
            ["choices"] = new JsonArray(choice),
            ["usage"] = new JsonObject { ["prompt_tokens"] = PromptTokenIds.Length, ["completion_tokens"] = 1, ["total_tokens"] = PromptTokenIds.Length + 1 },
            ["prompt_token_ids"] = new JsonArray(PromptTokenIds.Select(id => (JsonNode)id).ToArray()),
        };
        if (EditContextAnswer is { } edit)
        {
            answer = edit(answer);
        }

        PerfMetrics.Served($"cmpl-ctx-{ctxRequestId}", ctxRequestId, generationOnly: false);

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString(), context.RequestAborted);
    }

    private async Task AnswerGenerationAsync(HttpContext context, JsonObject request, bool chat)
    {
        if (FailWith is { } status)
        {
            await ErrorAsync(context, (int)status, $"the fake answers {(int)status}");
            return;
        }

        if (RequestType(request) == "generation_only" && RefuseGenerationParam is { } param)
        {
            await ErrorAsync(context, 400, $"the fake refuses {param}", param);
            return;
        }

        if (RequestType(request) == "generation_only" && CheckGenerationRequest(request, chat) is { } problem)
        {
            await ErrorAsync(context, 400, problem);
            return;
        }

        var generationOnly = RequestType(request) == "generation_only";
        PerfMetrics.Served($"cmpl-gen-{Requests.Count}", generationOnly ? request["disaggregated_params"]!["ctx_request_id"]!.GetValue<long>() : null, generationOnly);
        if (request["stream"]?.GetValue<bool>() != true)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(GenerationJson(chat, string.Concat(GenerationTokens)), context.RequestAborted);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        var includeUsage = request["stream_options"]?["include_usage"]?.GetValue<bool>() == true;
        foreach (var sse in GenerationEvents(chat, GenerationTokens, includeUsage))
        {
            await context.Response.WriteAsync(sse, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            if (ChunkDelay > TimeSpan.Zero)
            {
                await Task.Delay(ChunkDelay, context.RequestAborted);
            }
        }
    }

    private static string? CheckGenerationRequest(JsonObject request, bool chat)
    {
        var parameters = request["disaggregated_params"]!.AsObject();
        if (parameters["encoded_opaque_state"] is null && parameters["ctx_request_id"]?.GetValue<long>() == 1)
        {
            return null; // gen-only benchmark mode: no context leg, the worker starts from an uninitialized cache
        }

        if (parameters["encoded_opaque_state"]?.GetValue<string>() != OpaqueState || parameters["ctx_request_id"]?.GetValue<long>() is not >= CtxRequestId)
        {
            return "generation_only without the context server's params";
        }

        var ids = chat ? request["prompt_token_ids"] : request["prompt"];
        if (ids is not JsonArray list || !list.Select(n => n!.GetValue<int>()).SequenceEqual(PromptTokenIds))
        {
            return $"generation_only without the context server's prompt_token_ids (got {ids?.ToJsonString()})";
        }

        return null;
    }

    private static Task ErrorAsync(HttpContext context, int status, string message, string? param = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = "invalid_request_error", ["param"] = param, ["code"] = null } };
        return context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
