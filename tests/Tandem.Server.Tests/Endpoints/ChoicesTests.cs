using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;

namespace Tandem.Server.Tests.Endpoints;

/// <summary>OpenAI's <c>n</c>: several choices for one prompt, whole or interleaved in one stream.</summary>
public class ChoicesTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    [Fact]
    public async Task N_completions_are_the_single_requests_with_seed_plus_index()
    {
        const string Body = """{"model":"stories260K","prompt":"Once upon a time","max_tokens":20,"temperature":1.0,"seed":77,"n":3}""";
        var answer = await worker.PostAsync("/v1/completions", Body);
        var choices = answer.GetProperty("choices").EnumerateArray().ToArray();
        Assert.Equal([0, 1, 2], choices.Select(c => c.GetProperty("index").GetInt32()));

        var alone = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            alone.Add(await worker.PostAsync("/v1/completions", Body.Replace("\"seed\":77,\"n\":3", $"\"seed\":{77 + i}", StringComparison.Ordinal)));
            Assert.Equal(alone[i].GetProperty("choices")[0].GetProperty("text").GetString(), choices[i].GetProperty("text").GetString());
        }

        Assert.True(choices.Select(c => c.GetProperty("text").GetString()).Distinct().Count() > 1, "three seeds sampled the same text");
        var usage = answer.GetProperty("usage");
        Assert.Equal(alone[0].GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(alone.Sum(a => a.GetProperty("usage").GetProperty("completion_tokens").GetInt32()), usage.GetProperty("completion_tokens").GetInt32());
        await worker.AssertPoolFullAsync();
    }

    [Fact]
    public async Task Streamed_chat_choices_interleave_by_index_and_each_finishes_once()
    {
        const string Body = """{"model":"stories260K","messages":[{"role":"user","content":"Tell me a story"}],"max_tokens":16,"temperature":1.0,"seed":5,"n":2,"stream":true,"stream_options":{"include_usage":true}}""";
        using var response = await worker.Http.PostAsync("/v1/chat/completions", new StringContent(Body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var texts = new[] { new StringBuilder(), new StringBuilder() };
        var finishes = new int[2];
        var completionTokens = -1;
        var done = false;
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken)).EnumerateAsync(TestContext.Current.CancellationToken))
        {
            if (item.Data == "[DONE]")
            {
                done = true;
                break;
            }

            var chunk = JsonDocument.Parse(item.Data).RootElement;
            if (chunk.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                completionTokens = usage.GetProperty("completion_tokens").GetInt32();
            }

            foreach (var choice in chunk.GetProperty("choices").EnumerateArray())
            {
                var index = choice.GetProperty("index").GetInt32();
                texts[index].Append(choice.GetProperty("delta").TryGetProperty("content", out var content) ? content.GetString() : null);
                if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
                {
                    finishes[index]++;
                }
            }
        }

        Assert.True(done, "no [DONE]");
        Assert.Equal([1, 1], finishes);
        var total = 0;
        for (var i = 0; i < 2; i++)
        {
            var single = await worker.PostAsync("/v1/chat/completions", Body.Replace("\"seed\":5,\"n\":2,\"stream\":true,\"stream_options\":{\"include_usage\":true}", $"\"seed\":{5 + i}", StringComparison.Ordinal));
            Assert.Equal(single.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), texts[i].ToString());
            total += single.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        }

        Assert.Equal(total, completionTokens);
        await worker.AssertPoolFullAsync();
    }

    [Fact]
    public async Task A_client_that_leaves_a_stream_of_choices_cancels_them_all()
    {
        var ct = TestContext.Current.CancellationToken;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        const string Body = """{"model":"stories260K","prompt":"Once upon a time","max_tokens":400,"ignore_eos":true,"temperature":1.0,"n":3,"stream":true}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        using var response = await worker.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var indices = new HashSet<int>();
        await foreach (var item in SseParser.Create(await response.Content.ReadAsStreamAsync(cts.Token)).EnumerateAsync(cts.Token))
        {
            indices.Add(JsonDocument.Parse(item.Data).RootElement.GetProperty("choices")[0].GetProperty("index").GetInt32());
            if (indices.Count == 3)
            {
                break;
            }
        }

        var load = JsonDocument.Parse(await worker.Http.GetStringAsync("/server_info", ct)).RootElement.GetProperty("load");
        Assert.Equal(3, load.GetProperty("running").GetInt32() + load.GetProperty("waiting").GetInt32());
        await cts.CancelAsync();
        response.Dispose();
        await worker.AssertPoolFullAsync();
    }

    [Theory]
    [InlineData("""{"model":"stories260K","prompt":"hi","n":1000}""", "max_batch_size")]
    [InlineData("""{"model":"stories260K","prompt":"hi","n":2,"disaggregated_params":{"request_type":"context_only"}}""", "disaggregated leg")]
    [InlineData("""{"model":"stories260K","prompt":"hi","n":0}""", "'n'")]
    public async Task Impossible_choice_counts_are_refused_naming_n(string body, string reason)
    {
        var error = (await worker.PostAsync("/v1/completions", body, 400)).GetProperty("error");
        Assert.Contains(reason, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("n", error.GetProperty("param").GetString());
    }
}
