using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tandem.Router.Client;

/// <summary>
/// <c>tandem client</c>: sends every prompt at once to a router (or a worker) and collects the texts.
/// A non-200 answer is that prompt's error; the others still complete.
/// </summary>
public static class DisaggClient
{
    private const string SystemPrompt = "You are a helpful assistant.";

    public static async Task<IReadOnlyList<ClientResult>> RunAsync(ClientOptions options, HttpClient http, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(http);
        if (options.ServerStartTimeout is { } wait)
        {
            await WaitForHealthAsync(options.Endpoint, http, wait, cancellationToken).ConfigureAwait(false);
        }

        var tasks = options.Prompts.Select(p => SendAsync(options, http, p, cancellationToken));
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    public static async Task WaitForHealthAsync(Uri endpoint, HttpClient http, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        string last = "no answer yet";
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(endpoint, "health"), cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"{endpoint} was not healthy within {timeout.TotalSeconds:F0} s (last: {last})");
    }

    private static async Task<ClientResult> SendAsync(ClientOptions options, HttpClient http, string prompt, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var path = options.Chat ? "v1/chat/completions" : "v1/completions";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.Endpoint, path))
            {
                Content = new StringContent(Body(options, prompt).ToJsonString(), Encoding.UTF8, "application/json"),
            };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var error = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                return new ClientResult(prompt, null, 0, 0, Stopwatch.GetElapsedTime(started), $"HTTP {(int)response.StatusCode}: {error}");
            }

            var (text, usage) = options.Streaming
                ? await ReadStreamAsync(response, options.Chat, timeout.Token).ConfigureAwait(false)
                : await ReadWholeAsync(response, options.Chat, timeout.Token).ConfigureAwait(false);
            return new ClientResult(prompt, text, usage?["prompt_tokens"]?.GetValue<int>() ?? 0, usage?["completion_tokens"]?.GetValue<int>() ?? 0, Stopwatch.GetElapsedTime(started), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            var reason = ex is OperationCanceledException ? $"no answer within {options.RequestTimeout.TotalSeconds:F0} s" : ex.Message;
            return new ClientResult(prompt, null, 0, 0, Stopwatch.GetElapsedTime(started), reason);
        }
    }

    private static JsonObject Body(ClientOptions options, string prompt)
    {
        var body = new JsonObject
        {
            ["model"] = options.Model,
            ["max_tokens"] = options.MaxTokens,
            ["temperature"] = options.Temperature,
            ["ignore_eos"] = options.IgnoreEos,
        };
        if (options.Chat)
        {
            body["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = SystemPrompt },
                new JsonObject { ["role"] = "user", ["content"] = prompt });
        }
        else
        {
            body["prompt"] = prompt;
        }

        if (options.Streaming)
        {
            body["stream"] = true;
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        return body;
    }

    private static async Task<(string Text, JsonNode? Usage)> ReadWholeAsync(HttpResponseMessage response, bool chat, CancellationToken cancellationToken)
    {
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))!;
        var choice = json["choices"]![0]!;
        var text = chat ? choice["message"]?["content"]?.GetValue<string>() : choice["text"]?.GetValue<string>();
        return (text ?? string.Empty, json["usage"]);
    }

    private static async Task<(string Text, JsonNode? Usage)> ReadStreamAsync(HttpResponseMessage response, bool chat, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        JsonNode? usage = null;
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item.Data == "[DONE]")
            {
                return (text.ToString(), usage);
            }

            var chunk = JsonNode.Parse(item.Data)!;
            if (chunk["error"] is { } error)
            {
                throw new InvalidOperationException($"the stream ended with an error: {error["message"]}");
            }

            usage = chunk["usage"] ?? usage;
            if (chunk["choices"] is JsonArray { Count: > 0 } choices)
            {
                var choice = choices[0]!;
                text.Append(chat ? choice["delta"]?["content"]?.GetValue<string>() : choice["text"]?.GetValue<string>());
            }
        }

        throw new InvalidOperationException("the stream ended without [DONE]");
    }
}
