using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tandem.Router.Benchmarking;

/// <summary>
/// Sends one streaming request (<c>stream_options.include_usage</c>, <c>ignore_eos</c>, <c>max_tokens</c> = the output length)
/// and times it: TTFT at the first chunk that carries output, an inter-token latency per later chunk, the token counts from usage.
/// </summary>
public sealed class StreamingRequestSender(HttpClient http, TimeProvider timeProvider, Uri url, string model, bool chat, bool ignoreEos, TimeSpan timeout)
{
    public async Task<RequestOutcome> SendAsync(BenchRequest request, long benchmarkStart, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = timeProvider.GetTimestamp();
        var offset = timeProvider.GetElapsedTime(benchmarkStart, started).TotalSeconds;
        double ttft = 0;
        var itls = new List<double>();
        var chunks = 0;
        long last = started;
        int? promptTokens = null, completionTokens = null;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(Body(request).ToJsonString(), Encoding.UTF8, "application/json"),
            };
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false);
                return Failed($"HTTP {(int)response.StatusCode}: {Shorten(body)}");
            }

            var stream = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            await foreach (var item in SseParser.Create(stream).EnumerateAsync(deadline.Token).ConfigureAwait(false))
            {
                if (item.Data == "[DONE]")
                {
                    break;
                }

                var now = timeProvider.GetTimestamp();
                var chunk = JsonNode.Parse(item.Data);
                if (chunk?["error"] is { } error)
                {
                    return Failed($"the stream ended with an error: {error["message"] ?? error}");
                }

                if (chunk?["usage"] is JsonObject usage)
                {
                    promptTokens = (int?)usage["prompt_tokens"] ?? promptTokens;
                    completionTokens = (int?)usage["completion_tokens"] ?? completionTokens;
                }

                if (!CarriesOutput(chunk))
                {
                    continue;
                }

                if (chunks == 0)
                {
                    ttft = timeProvider.GetElapsedTime(started, now).TotalSeconds;
                }
                else
                {
                    itls.Add(timeProvider.GetElapsedTime(last, now).TotalSeconds);
                }

                chunks++;
                last = now;
            }

            var latency = timeProvider.GetElapsedTime(started).TotalSeconds;
            if (chunks == 0)
            {
                return Failed("the stream carried no output");
            }

            return new RequestOutcome
            {
                Ttft = ttft,
                Itls = itls,
                Latency = latency,
                InputLen = promptTokens ?? request.InputLen,
                OutputTokens = completionTokens ?? chunks,
                StartOffset = offset,
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException or IOException or InvalidOperationException or FormatException
                                   && !cancellationToken.IsCancellationRequested)
        {
            return Failed(ex is OperationCanceledException ? $"no complete answer within {timeout.TotalSeconds:F0} s" : ex.Message);
        }

        RequestOutcome Failed(string reason) => new()
        {
            Error = reason,
            InputLen = request.InputLen,
            Latency = timeProvider.GetElapsedTime(started).TotalSeconds,
            StartOffset = offset,
        };
    }

    /// <summary>A chunk carries output when its first choice has text, or is a token step without text (not chat's role-only opener nor a bare finish).</summary>
    internal static bool CarriesOutput(JsonNode? chunk, bool chat)
    {
        if (chunk?["choices"] is not JsonArray { Count: > 0 } choices || choices[0] is not JsonObject choice)
        {
            return false;
        }

        var text = chat ? choice["delta"]?["content"] : choice["text"];
        if (text is JsonValue value && value.TryGetValue<string>(out var s) && s.Length > 0)
        {
            return true;
        }

        var finished = choice["finish_reason"] is JsonValue reason && reason.GetValueKind() == JsonValueKind.String;
        var roleOnly = chat && choice["delta"]?["role"] is not null;
        return !finished && !roleOnly;
    }

    private bool CarriesOutput(JsonNode? chunk) => CarriesOutput(chunk, chat);

    private JsonObject Body(BenchRequest request)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["max_tokens"] = request.OutputLen,
            ["temperature"] = 0.0,
            ["ignore_eos"] = ignoreEos,
            ["stream"] = true,
            ["stream_options"] = new JsonObject { ["include_usage"] = true },
        };
        if (chat)
        {
            body["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = request.Text ?? string.Empty });
        }
        else if (request.TokenIds is { } ids)
        {
            body["prompt"] = new JsonArray([.. ids.Select(id => (JsonNode)id)]);
        }
        else
        {
            body["prompt"] = request.Text ?? string.Empty;
        }

        return body;
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
