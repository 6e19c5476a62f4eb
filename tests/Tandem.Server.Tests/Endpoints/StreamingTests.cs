using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Server.Tests.Endpoints;

/// <summary>Server-sent events under load, with disconnects, stop strings and multi-byte characters.</summary>
public class StreamingTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    private static readonly string[] Subjects = ["cat", "dog", "bird", "tree", "boy", "girl", "ball", "sun"];

    [Fact]
    public async Task Sixty_four_concurrent_streams_each_get_the_text_they_get_alone()
    {
        var prompts = Enumerable.Range(0, 64).Select(i => $"Once upon a time, a {Subjects[i % 8]} named {(char)('A' + (i % 26))}{i}").ToArray();
        var alone = new string[prompts.Length];
        for (var i = 0; i < prompts.Length; i++)
        {
            alone[i] = (await worker.PostAsync("/v1/completions", Body(prompts[i], 24, stream: false))).GetProperty("choices")[0].GetProperty("text").GetString()!;
        }

        var together = await Task.WhenAll(prompts.Select(p => StreamTextAsync(worker.Http, Body(p, 24, stream: true))));
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(alone[i], together[i].Text);
            Assert.Equal("length", together[i].Finish);
        }

        await worker.AssertPoolFullAsync();
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_frees_its_blocks()
    {
        var ct = TestContext.Current.CancellationToken;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(Body("Once upon a time", 400, stream: true), Encoding.UTF8, "application/json") };
        using var response = await worker.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var stream = await response.Content.ReadAsStreamAsync(cts.Token);
        var chunks = 0;
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cts.Token))
        {
            if (++chunks == 5)
            {
                break;
            }
        }

        var during = await worker.Http.GetFromJsonAsync<JsonElement>("/server_info", ct);
        Assert.True(during.GetProperty("kv_blocks").GetProperty("used").GetInt32() > 0, "the request should hold blocks while it streams");
        await cts.CancelAsync();
        response.Dispose();
        await worker.AssertPoolFullAsync();
    }

    [Fact]
    public async Task A_stop_string_across_token_boundaries_ends_the_text_before_it()
    {
        var full = (await worker.PostAsync("/v1/completions", Body("Once upon a time", 60, stream: false))).GetProperty("choices")[0].GetProperty("text").GetString()!;

        // "little girl" spans several tokens; the text must end right before it, streamed or not.
        const string Stop = "little girl";
        var at = full.IndexOf(Stop, StringComparison.Ordinal);
        Assert.True(at > 0, $"the greedy text should contain '{Stop}': {full}");
        var body = $$"""{"model":"stories260K","prompt":"Once upon a time","max_tokens":60,"temperature":0,"stop":["zzz","{{Stop}}"]}""";
        var whole = (await worker.PostAsync("/v1/completions", body)).GetProperty("choices")[0];
        Assert.Equal(full[..at], whole.GetProperty("text").GetString());
        Assert.Equal("stop", whole.GetProperty("finish_reason").GetString());

        var streamed = await StreamTextAsync(worker.Http, body.Replace("\"temperature\":0", "\"temperature\":0,\"stream\":true", StringComparison.Ordinal));
        Assert.Equal(full[..at], streamed.Text);
        Assert.Equal("stop", streamed.Finish);
        await worker.AssertPoolFullAsync();
    }

    [Fact]
    public async Task Multi_byte_characters_split_across_byte_tokens_stream_whole()
    {
        // A random-weight model over the stories260K vocabulary emits many byte-fallback tokens, so its
        // greedy text holds characters whose UTF-8 bytes come from several tokens.
        var ct = TestContext.Current.CancellationToken;
        var dir = Directory.CreateTempSubdirectory("tandem-utf8-").FullName;
        try
        {
            RandomCheckpoint.Write(new RandomCheckpointOptions { Preset = RandomCheckpointPresets.Tiny, TokenizerDirectory = SharedData.Require("models", "stories260K"), DType = DType.F32, Seed = 3 }, dir);
            await using var random = await WorkerServer.StartAsync(WorkerFixture.Settings(dir) with { ServedModelName = "random" }, cancellationToken: ct);
            using var http = new HttpClient { BaseAddress = random.Address };
            var multiByte = 0;
            for (var p = 0; p < 8; p++)
            {
                var body = $$"""{"model":"random","prompt":"{{Subjects[p]}}","max_tokens":200,"temperature":0,"ignore_eos":true}""";
                using var response = await http.PostAsync("/v1/completions", new StringContent(body, Encoding.UTF8, "application/json"), ct);
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
                var whole = doc.RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!;
                var streamed = await StreamTextAsync(http, body.Replace("\"temperature\":0", "\"temperature\":0,\"stream\":true", StringComparison.Ordinal));
                Assert.Equal(whole, streamed.Text);
                multiByte += whole.Count(c => c > 0x7F && c != '\uFFFD');
            }

            Assert.True(multiByte > 0, "the random model should have produced at least one multi-byte character");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static string Body(string prompt, int maxTokens, bool stream) =>
        $$"""{"model":"stories260K","prompt":{{JsonSerializer.Serialize(prompt)}},"max_tokens":{{maxTokens}},"temperature":0,"stream":{{(stream ? "true" : "false")}}}""";

    internal static async Task<(string Text, string? Finish)> StreamTextAsync(HttpClient http, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var text = new StringBuilder();
        string? finish = null;
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            if (item.Data == "[DONE]")
            {
                return (text.ToString(), finish);
            }

            using var doc = JsonDocument.Parse(item.Data);
            var choice = doc.RootElement.GetProperty("choices")[0];
            text.Append(choice.GetProperty("text").GetString());
            if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String)
            {
                finish = choice.GetProperty("finish_reason").GetString();
            }
        }

        throw new InvalidOperationException("stream ended without [DONE]");
    }
}
