using System.Buffers;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Tandem.Contracts;
using Tandem.Router.Endpoints;

namespace Tandem.Router.Forwarding;

/// <summary>
/// Hands a leg's answer to the client: a worker's JSON as it came, its SSE chunk by chunk as they arrive (each flushed),
/// a worker's 4xx as it came; a 5xx, a broken body or a timeout as the router's 502/503/504 naming the server.
/// Each method returns the request's outcome for the metrics.
/// </summary>
internal sealed class ResponseRelay(LegSender sender)
{
    private const int MaxErrorBody = 64 * 1024;

    /// <summary>
    /// A non-success status: a 4xx is the client's mistake and passes through; anything else is the upstream's failure.
    /// With <paramref name="handOff"/> (a generation leg after a context leg) a 4xx that blames a field the router wrote
    /// (<c>disaggregated_params…</c>, <c>prompt_token_ids</c>: say a KV layout the generation server cannot take) is the
    /// deployment's failure, not the client's, and becomes the router's 502 naming the server.
    /// </summary>
    public async Task<(string Outcome, UpstreamFailure? Failure)> RelayErrorStatusAsync(HttpContext context, Leg leg, string role, bool handOff = false)
    {
        var response = leg.Call.Response;
        var status = (int)response.StatusCode;
        var body = await TryReadAsync(leg, MaxErrorBody).ConfigureAwait(false) ?? [];
        if (status is >= 400 and < 500 && handOff && BlamesHandOff(body))
        {
            var refused = new UpstreamFailure(
                UpstreamFailureKind.BadResponse,
                $"{role} server {leg.Server.Name} refused the request's hand-off from its context server ({status} {response.ReasonPhrase}): {UpstreamMessage(body)}");
            sender.Record(leg.Server, refused);
            await JsonResponses.WriteErrorAsync(context.Response, refused.ToErrorResponse()).ConfigureAwait(false);
            return ("upstream_error", refused);
        }

        if (status is >= 400 and < 500)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/json";
            await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
            return ("client_error", null);
        }

        var failure = new UpstreamFailure(
            UpstreamFailureKind.BadResponse,
            $"{role} server {leg.Server.Name} answered {status} {response.ReasonPhrase}: {UpstreamMessage(body)}");
        sender.Record(leg.Server, failure);
        var error = response.StatusCode == HttpStatusCode.ServiceUnavailable ? ErrorResponse.ServiceUnavailable(failure.Message) : failure.ToErrorResponse();
        await JsonResponses.WriteErrorAsync(context.Response, error).ConfigureAwait(false);
        return (response.StatusCode == HttpStatusCode.ServiceUnavailable ? "unavailable" : "upstream_error", failure);
    }

    /// <summary>Reads a whole (non-streaming) body; a broken body or a timeout is a failure.</summary>
    public async Task<(byte[]? Body, UpstreamFailure? Failure)> ReadAsync(Leg leg, string role, string path)
    {
        try
        {
            return (await leg.Call.Response.Content.ReadAsByteArrayAsync(leg.Call.Token).ConfigureAwait(false), null);
        }
        catch (OperationCanceledException) when (leg.Call.TimedOut)
        {
            return (null, Failed(leg, new UpstreamFailure(UpstreamFailureKind.Timeout, $"{role} server {leg.Server.Name} did not finish {path} within the request timeout")));
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return (null, Failed(leg, new UpstreamFailure(UpstreamFailureKind.BadResponse, $"{role} server {leg.Server.Name} broke off its answer to {path}: {UpstreamClient.Reason(e)}")));
        }
    }

    /// <summary>Relays a whole answer; <paramref name="arrived"/> (if any) runs once it has been read, before it is relayed.</summary>
    public async Task<string> RelayWholeAsync(HttpContext context, Leg leg, string path, Action? arrived = null)
    {
        var (body, failure) = await ReadAsync(leg, "generation", path).ConfigureAwait(false);
        if (failure is not null)
        {
            await JsonResponses.WriteErrorAsync(context.Response, failure.ToErrorResponse()).ConfigureAwait(false);
            return Outcome(failure);
        }

        arrived?.Invoke();

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = leg.Call.Response.Content.Headers.ContentType?.ToString() ?? "application/json";
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        return "completed";
    }

    /// <summary>
    /// Copies the worker's SSE bytes to the client as they arrive, flushing each read. Once bytes went out the status
    /// cannot change: a failure mid-stream ends it with an error event and <c>[DONE]</c>, as a worker does.
    /// <paramref name="firstContent"/> (if any) runs once: when the first chunk with generated content was read, else when
    /// a stream without any ends well.
    /// </summary>
    public async Task<string> RelayStreamAsync(HttpContext context, Leg leg, string path, Action? firstContent = null)
    {
        var watch = firstContent is null ? null : new FirstContentWatch();
        var response = context.Response;
        var aborted = context.RequestAborted;
        StartEventStream(response);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            var upstream = await leg.Call.Response.Content.ReadAsStreamAsync(leg.Call.Token).ConfigureAwait(false);
            await using (upstream.ConfigureAwait(false))
            {
                int read;
                while ((read = await upstream.ReadAsync(buffer, leg.Call.Token).ConfigureAwait(false)) > 0)
                {
                    if (watch?.Feed(buffer.AsSpan(0, read)) == true)
                    {
                        firstContent!();
                        watch = null;
                    }

                    await response.Body.WriteAsync(buffer.AsMemory(0, read), aborted).ConfigureAwait(false);
                    await response.Body.FlushAsync(aborted).ConfigureAwait(false);
                }
            }

            if (watch is not null)
            {
                firstContent!();
            }

            return "completed";
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && aborted.IsCancellationRequested)
        {
            return "cancelled";
        }
        catch (OperationCanceledException) when (leg.Call.TimedOut)
        {
            var failure = Failed(leg, new UpstreamFailure(UpstreamFailureKind.Timeout, $"generation server {leg.Server.Name} did not finish {path} within the request timeout"));
            await EndWithErrorAsync(response, failure, aborted).ConfigureAwait(false);
            return Outcome(failure);
        }
        catch (Exception e) when (e is HttpRequestException or IOException && !aborted.IsCancellationRequested)
        {
            var failure = Failed(leg, new UpstreamFailure(UpstreamFailureKind.BadResponse, $"generation server {leg.Server.Name} broke off its stream: {UpstreamClient.Reason(e)}"));
            await EndWithErrorAsync(response, failure, aborted).ConfigureAwait(false);
            return Outcome(failure);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static void StartEventStream(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
    }

    public static string Outcome(UpstreamFailure failure) => failure.Kind switch
    {
        UpstreamFailureKind.Timeout => "timeout",
        UpstreamFailureKind.ClientGone => "cancelled",
        _ => "upstream_error",
    };

    private static async Task EndWithErrorAsync(HttpResponse response, UpstreamFailure failure, CancellationToken aborted)
    {
        await ServerSentEvents.WriteAsync(response.Body, failure.ToErrorResponse(), aborted).ConfigureAwait(false);
        await ServerSentEvents.WriteDoneAsync(response.Body, aborted).ConfigureAwait(false);
    }

    private UpstreamFailure Failed(Leg leg, UpstreamFailure failure)
    {
        sender.Record(leg.Server, failure);
        return failure;
    }

    private static async Task<byte[]?> TryReadAsync(Leg leg, int limit)
    {
        try
        {
            var bytes = await leg.Call.Response.Content.ReadAsByteArrayAsync(leg.Call.Token).ConfigureAwait(false);
            return bytes.Length > limit ? bytes[..limit] : bytes;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>An OpenAI error's message when the body is one, else the body's start.</summary>
    /// <summary>Whether an OpenAI error body's <c>param</c> names a field of the hand-off rather than of the client's request.</summary>
    private static bool BlamesHandOff(byte[] body)
    {
        try
        {
            return JsonNode.Parse(body) is JsonObject json && json["error"]?["param"] is JsonValue param && param.TryGetValue<string>(out var name)
                && (name.StartsWith("disaggregated_params", StringComparison.Ordinal) || name == "prompt_token_ids");
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string UpstreamMessage(byte[] body)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject json && json["error"] is JsonObject { } error && error["message"] is JsonValue message)
            {
                return message.ToString();
            }
        }
        catch (JsonException)
        {
        }

        var text = System.Text.Encoding.UTF8.GetString(body).Trim();
        return text.Length == 0 ? "(no body)" : text.Length > 500 ? text[..500] + "..." : text;
    }
}
