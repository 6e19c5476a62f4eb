using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Router.Tests.Fakes;

namespace Tandem.Router.Tests.Forwarding;

/// <summary>The context-first flow end to end, against fake workers.</summary>
public sealed class FlowTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static TheoryData<bool> Chat => new(false, true);

    private static string Body(bool chat, bool stream, bool includeUsage = false)
    {
        var body = chat
            ? new JsonObject { ["model"] = "fake", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Tell a story" }), ["max_tokens"] = 16, ["temperature"] = 0, ["stream"] = stream }
            : new JsonObject { ["model"] = "fake", ["prompt"] = "Tell a story", ["max_tokens"] = 16, ["temperature"] = 0, ["stream"] = stream, ["my_extension"] = "kept" };
        if (includeUsage)
        {
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        return body.ToJsonString();
    }

    private static Task<HttpResponseMessage> PostAsync(RouterHarness harness, bool chat, string body) =>
        harness.Http.PostAsync(chat ? "/v1/chat/completions" : "/v1/completions", new StringContent(body, Encoding.UTF8, "application/json"), Cancel);

    [Theory]
    [MemberData(nameof(Chat))]
    public async Task GenOnlyBenchmarkModeSkipsTheContextLegAndSendsTensorRtLlmsFixedParams(bool chat)
    {
        await using var harness = await RouterHarness.StartAsync(options: RouterHarness.FastOptions with { BenchmarkGenerationOnly = true });
        using var response = await PostAsync(harness, chat, Body(chat, stream: true));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(" upon", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        Assert.Empty(harness.Context[0].Requests);
        var (_, generationBody) = Assert.Single(harness.Generation[0].Requests);
        Assert.Equal(
            """{"request_type":"generation_only","first_gen_tokens":[7],"ctx_request_id":1,"encoded_opaque_state":null,"draft_tokens":null}""",
            generationBody["disaggregated_params"]!.ToJsonString());
        Assert.True(generationBody["ignore_eos"]!.GetValue<bool>());
        Assert.True(generationBody["stream"]!.GetValue<bool>());
        Assert.Contains(harness.Logs.Lines, l => l.Message.Contains("Gen-only benchmark mode", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Chat))]
    public async Task WholeAnswerIsTheGenerationServersAndBothLegsGetTheirFields(bool chat)
    {
        await using var harness = await RouterHarness.StartAsync();
        using var response = await PostAsync(harness, chat, Body(chat, stream: false));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(FakeWorker.GenerationJson(chat, " Once upon a time"), await response.Content.ReadAsStringAsync(Cancel));

        var (contextPath, contextBody) = Assert.Single(harness.Context[0].Requests);
        Assert.Equal(chat ? "/v1/chat/completions" : "/v1/completions", contextPath);
        Assert.Equal("context_only", FakeWorker.RequestType(contextBody));
        Assert.False(contextBody["stream"]!.GetValue<bool>());
        Assert.Equal(16, contextBody["max_tokens"]!.GetValue<int>());

        var (_, generationBody) = Assert.Single(harness.Generation[0].Requests);
        var parameters = generationBody["disaggregated_params"]!;
        Assert.Equal("generation_only", parameters["request_type"]!.GetValue<string>());
        Assert.Equal(FakeWorker.OpaqueState, parameters["encoded_opaque_state"]!.GetValue<string>());
        Assert.Equal(FakeWorker.CtxRequestId, parameters["ctx_request_id"]!.GetValue<long>());
        Assert.Equal("[42]", parameters["first_gen_tokens"]!.ToJsonString());
        var ids = chat ? generationBody["prompt_token_ids"] : generationBody["prompt"];
        Assert.Equal(FakeWorker.PromptTokenIds, ids!.AsArray().Select(n => n!.GetValue<int>()));
        if (chat)
        {
            Assert.Equal("Tell a story", generationBody["messages"]![0]!["content"]!.GetValue<string>());
        }
        else
        {
            Assert.Equal("kept", generationBody["my_extension"]!.GetValue<string>());
        }
    }

    [Theory]
    [MemberData(nameof(Chat))]
    public async Task StreamIsTheGenerationServersByteForByte(bool chat)
    {
        await using var harness = await RouterHarness.StartAsync();
        using var response = await PostAsync(harness, chat, Body(chat, stream: true, includeUsage: true));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var expected = string.Concat(FakeWorker.GenerationEvents(chat, harness.Generation[0].GenerationTokens, includeUsage: true));
        Assert.Equal(expected, await response.Content.ReadAsStringAsync(Cancel));

        var (_, contextBody) = Assert.Single(harness.Context[0].Requests);
        Assert.False(contextBody["stream"]!.GetValue<bool>());
        Assert.Null(contextBody["stream_options"]);
        var (_, generationBody) = Assert.Single(harness.Generation[0].Requests);
        Assert.True(generationBody["stream"]!.GetValue<bool>());
        Assert.True(generationBody["stream_options"]!["include_usage"]!.GetValue<bool>());
    }

    [Theory]
    [MemberData(nameof(Chat))]
    public async Task ContextAnswerThatFinishedIsReturnedWhole(bool chat)
    {
        await using var harness = await RouterHarness.StartAsync();
        harness.Context[0].ContextFinishReason = "stop";
        using var response = await PostAsync(harness, chat, Body(chat, stream: false));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!;
        var choice = json["choices"]![0]!;
        Assert.Equal(" Once", chat ? choice["message"]!["content"]!.GetValue<string>() : choice["text"]!.GetValue<string>());
        Assert.Equal("stop", choice["finish_reason"]!.GetValue<string>());
        Assert.Null(choice["disaggregated_params"]);
        Assert.Null(json["prompt_token_ids"]);
        Assert.Empty(harness.Generation[0].Requests);
    }

    [Theory]
    [MemberData(nameof(Chat))]
    public async Task ContextAnswerThatFinishedIsAWellFormedStream(bool chat)
    {
        await using var harness = await RouterHarness.StartAsync();
        harness.Context[0].ContextFinishReason = "length";
        using var response = await PostAsync(harness, chat, Body(chat, stream: true, includeUsage: true));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e["data: ".Length..])!).ToList();
        var content = string.Concat(chunks.SelectMany(c => c["choices"]!.AsArray())
            .Select(c => chat ? c!["delta"]!["content"]?.GetValue<string>() : c!["text"]!.GetValue<string>()));
        Assert.Equal(" Once", content);
        var reasons = chunks.SelectMany(c => c["choices"]!.AsArray()).Select(c => c!["finish_reason"]?.GetValue<string>()).Where(r => r is not null).ToList();
        Assert.Equal(["length"], reasons);
        Assert.Equal(5, chunks[^1]["usage"]!["total_tokens"]!.GetValue<int>());
        Assert.All(chunks, c => Assert.Null(c["choices"]!.AsArray().FirstOrDefault()?["disaggregated_params"]));
        Assert.Empty(harness.Generation[0].Requests);
    }

    [Fact]
    public async Task MalformedContextAnswerIsABadGatewayNamingTheServer()
    {
        await using var harness = await RouterHarness.StartAsync();
        var context = harness.Context[0];
        context.EditContextAnswer = answer =>
        {
            answer["choices"]!.AsArray().Add(answer["choices"]![0]!.DeepClone());
            return answer;
        };
        using var twoChoices = await PostAsync(harness, chat: false, Body(false, stream: false));
        Assert.Equal(HttpStatusCode.BadGateway, twoChoices.StatusCode);
        var message = JsonNode.Parse(await twoChoices.Content.ReadAsStringAsync(Cancel))!["error"]!["message"]!.GetValue<string>();
        Assert.Contains(context.Name, message, StringComparison.Ordinal);
        Assert.Contains("2 choices, expecting 1", message, StringComparison.Ordinal);

        context.EditContextAnswer = answer =>
        {
            answer["choices"]![0]!.AsObject().Remove("disaggregated_params");
            return answer;
        };
        using var noParams = await PostAsync(harness, chat: true, Body(true, stream: true));
        Assert.Equal(HttpStatusCode.BadGateway, noParams.StatusCode);
        Assert.Contains("without disaggregated_params", await noParams.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        Assert.Empty(harness.Generation[0].Requests);
    }

    [Fact]
    public async Task ClientErrorFromAWorkerPassesThroughAsIs()
    {
        await using var harness = await RouterHarness.StartAsync();
        harness.Generation[0].FailWith = HttpStatusCode.BadRequest;
        using var response = await PostAsync(harness, chat: false, Body(false, stream: true));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("""{"error":{"message":"the fake answers 400","type":"invalid_request_error","param":null,"code":null}}""", await response.Content.ReadAsStringAsync(Cancel));

        harness.Generation[0].FailWith = HttpStatusCode.InternalServerError;
        using var failed = await PostAsync(harness, chat: false, Body(false, stream: false));
        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        Assert.Contains($"generation server {harness.Generation[0].Name} answered 500", await failed.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadRequestBodyIsRefusedByTheRouter()
    {
        await using var harness = await RouterHarness.StartAsync();
        using var response = await PostAsync(harness, chat: false, """{"model":"fake","prompt":"x","max_tokens":"many"}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("max_tokens", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        Assert.Empty(harness.Context[0].Requests);
    }

    [Fact]
    public async Task SlowContextServerTimesOutWithGatewayTimeout()
    {
        await using var harness = await RouterHarness.StartAsync(options: RouterHarness.FastOptions with { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        harness.Context[0].Delay = TimeSpan.FromSeconds(20);
        using var response = await PostAsync(harness, chat: false, Body(false, stream: false));
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains(harness.Context[0].Name, await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        await harness.Context[0].Aborted.WaitAsync(TimeSpan.FromSeconds(5), Cancel);
    }

    [Fact]
    public async Task ClientDisconnectCancelsTheGenerationStream()
    {
        await using var harness = await RouterHarness.StartAsync();
        var generation = harness.Generation[0];
        generation.GenerationTokens = Enumerable.Repeat(" word", 200).ToList();
        generation.ChunkDelay = TimeSpan.FromMilliseconds(50);
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = new StringContent(Body(false, stream: true), Encoding.UTF8, "application/json") })
        using (var response = await harness.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancel))
        {
            var stream = await response.Content.ReadAsStreamAsync(Cancel);
            var buffer = new byte[64];
            Assert.True(await stream.ReadAsync(buffer, Cancel) > 0);
        }

        await generation.Aborted.WaitAsync(TimeSpan.FromSeconds(5), Cancel);
    }

    [Fact]
    public async Task ConnectionFailureIsRetriedOnAnotherServer()
    {
        await using var harness = await RouterHarness.StartAsync(contextCount: 2);
        var dead = harness.Context[0];
        await dead.DisposeAsync();
        for (var i = 0; i < 4; i++)
        {
            using var response = await PostAsync(harness, chat: false, Body(false, stream: false));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(4, harness.Context[1].Count("context_only"));
        var info = JsonNode.Parse(await harness.Http.GetStringAsync("/cluster_info", Cancel))!;
        var deadInfo = info["context_servers"]!.AsArray().Single(s => s!["url"]!.GetValue<string>().Contains(dead.Name, StringComparison.Ordinal))!;
        Assert.Equal(1, deadInfo["errors"]!.GetValue<int>());
        Assert.False(deadInfo["available"]!.GetValue<bool>());
    }

    [Fact]
    public async Task EveryServerDownIsABadGatewayWithTheReason()
    {
        await using var harness = await RouterHarness.StartAsync();
        var name = harness.Generation[0].Name;
        await harness.Generation[0].DisposeAsync();
        using var response = await PostAsync(harness, chat: true, Body(true, stream: true));
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var message = await response.Content.ReadAsStringAsync(Cancel);
        Assert.Contains($"cannot reach {name}", message, StringComparison.Ordinal);
        Assert.Contains("2 attempt(s)", message, StringComparison.Ordinal);
    }
}
