using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Server.Configuration;
using Tandem.Server.Tests.Endpoints;

namespace Tandem.Server.Tests.Disaggregation;

/// <summary>
/// The two legs of a disaggregated request sent by hand to a context worker and a generation worker
/// (what the router does), against one aggregated worker's answer.
/// </summary>
public class WorkerLegsTests
{
    private static string Model => SharedData.Require("models", "stories260K");

    [Theory]
    [InlineData("/v1/completions", false)]
    [InlineData("/v1/completions", true)]
    [InlineData("/v1/chat/completions", false)]
    [InlineData("/v1/chat/completions", true)]
    public async Task Context_then_generation_equals_one_server_token_for_token(string path, bool stream)
    {
        await using var single = await StartAsync(ServerRole.Both);
        await using var ctx = await StartAsync(ServerRole.Context);
        await using var gen = await StartAsync(ServerRole.Generation);
        var request = Request(path, "Once upon a time, a little dog", 40);

        var expected = await TextAsync(single, path, request, stream);
        var (first, second) = await TwoLegsAsync(ctx, gen, path, request, stream);

        Assert.Equal("not_finished", first["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Equal(expected, second);
        await AssertIdleAsync(ctx, gen, single);
    }

    [Fact]
    public async Task A_request_that_finishes_at_its_first_token_is_answered_by_the_context_server()
    {
        await using var ctx = await StartAsync(ServerRole.Context);
        var request = Request("/v1/completions", "Once upon a time", 1);
        request["disaggregated_params"] = new JsonObject { ["request_type"] = "context_only" };
        var answer = await PostAsync(ctx, "/v1/completions", request);
        Assert.Equal("length", answer["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Single(answer["choices"]![0]!["disaggregated_params"]!["first_gen_tokens"]!.AsArray());
        await AssertIdleAsync(ctx);
    }

    [Theory]
    [InlineData(KvTransferFailurePolicy.Recompute)]
    [InlineData(KvTransferFailurePolicy.Fail)]
    public async Task A_context_server_gone_between_the_legs_follows_the_failure_policy(KvTransferFailurePolicy policy)
    {
        await using var single = await StartAsync(ServerRole.Both);
        await using var gen = await StartAsync(ServerRole.Generation, policy);
        var request = Request("/v1/completions", "The cat sat", 30);
        var expected = await TextAsync(single, "/v1/completions", request, stream: false);

        JsonObject contextAnswer;
        await using (var ctx = await StartAsync(ServerRole.Context))
        {
            var contextLeg = request.DeepClone().AsObject();
            contextLeg["disaggregated_params"] = new JsonObject { ["request_type"] = "context_only" };
            contextAnswer = await PostAsync(ctx, "/v1/completions", contextLeg);
        }

        var genLeg = GenerationLeg(request, contextAnswer, "/v1/completions");
        using var response = await Send(gen, "/v1/completions", genLeg);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        if (policy == KvTransferFailurePolicy.Fail)
        {
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.Contains("KV transfer from", body, StringComparison.Ordinal);
            Assert.Contains("kv_transfer_failure_policy: fail", body, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var answer = JsonNode.Parse(body)!.AsObject();
            Assert.Equal(expected, answer["choices"]![0]!["text"]!.GetValue<string>());
            Assert.Equal("recomputed", answer["choices"]![0]!["disaggregated_params"]!["kv_transfer"]!.GetValue<string>());
            var metrics = await gen.Http.GetStringAsync("/metrics", TestContext.Current.CancellationToken);
            Assert.Contains("tandem_kv_transfer_recomputed_total 1", metrics, StringComparison.Ordinal);
        }

        await AssertIdleAsync(gen, single);
    }

    [Fact]
    public async Task Each_role_refuses_the_other_roles_requests_with_a_reason()
    {
        await using var ctx = await StartAsync(ServerRole.Context);
        await using var gen = await StartAsync(ServerRole.Generation);
        var toCtx = Request("/v1/completions", "hi", 5);
        toCtx["disaggregated_params"] = new JsonObject { ["request_type"] = "generation_only", ["first_gen_tokens"] = new JsonArray(5), ["encoded_opaque_state"] = "AA==" };
        using var refusedByCtx = await Send(ctx, "/v1/completions", toCtx);
        Assert.Equal(HttpStatusCode.BadRequest, refusedByCtx.StatusCode);
        Assert.Contains("context server", await refusedByCtx.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        var toGen = Request("/v1/completions", "hi", 5);
        toGen["disaggregated_params"] = new JsonObject { ["request_type"] = "context_only" };
        using var refusedByGen = await Send(gen, "/v1/completions", toGen);
        Assert.Equal(HttpStatusCode.BadRequest, refusedByGen.StatusCode);
        Assert.Contains("generation server", await refusedByGen.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    internal static async Task<Worker> StartAsync(ServerRole role, KvTransferFailurePolicy policy = KvTransferFailurePolicy.Recompute, Func<ServerSettings, ServerSettings>? adjust = null)
    {
        var settings = WorkerFixture.Settings(Model) with
        {
            ServedModelName = WorkerFixture.ModelName,
            ServerRole = role,
            CacheTransceiver = new CacheTransceiverSettings { FailurePolicy = policy, KvTransferTimeoutMs = 10_000 },
        };
        var running = await WorkerServer.StartAsync(adjust is null ? settings : adjust(settings));
        return new Worker(running, new HttpClient { BaseAddress = running.Address, Timeout = TimeSpan.FromSeconds(60) });
    }

    internal static JsonObject Request(string path, string prompt, int maxTokens)
    {
        var request = new JsonObject { ["model"] = WorkerFixture.ModelName, ["max_tokens"] = maxTokens, ["temperature"] = 0 };
        if (path.Contains("chat", StringComparison.Ordinal))
        {
            request["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt });
        }
        else
        {
            request["prompt"] = prompt;
        }

        return request;
    }

    /// <summary>The router's second leg: the original request, generation_only, the context answer's params, its prompt token ids.</summary>
    internal static JsonObject GenerationLeg(JsonObject original, JsonObject contextAnswer, string path)
    {
        var leg = original.DeepClone().AsObject();
        var parameters = contextAnswer["choices"]![0]!["disaggregated_params"]!.DeepClone().AsObject();
        parameters["request_type"] = "generation_only";
        leg["disaggregated_params"] = parameters;
        var ids = contextAnswer["prompt_token_ids"]!.DeepClone();
        if (path.Contains("chat", StringComparison.Ordinal))
        {
            leg["prompt_token_ids"] = ids;
        }
        else
        {
            leg["prompt"] = ids;
        }

        return leg;
    }

    private static async Task<(JsonObject Context, string Text)> TwoLegsAsync(Worker ctx, Worker gen, string path, JsonObject request, bool stream)
    {
        var contextLeg = request.DeepClone().AsObject();
        contextLeg["disaggregated_params"] = new JsonObject { ["request_type"] = "context_only" };
        var contextAnswer = await PostAsync(ctx, path, contextLeg);
        Assert.NotNull(contextAnswer["prompt_token_ids"]);
        var text = await TextAsync(gen, path, GenerationLeg(request, contextAnswer, path), stream);
        return (contextAnswer, text);
    }

    internal static async Task<string> TextAsync(Worker worker, string path, JsonObject request, bool stream)
    {
        var chat = path.Contains("chat", StringComparison.Ordinal);
        if (!stream)
        {
            var answer = await PostAsync(worker, path, request);
            var choice = answer["choices"]![0]!;
            return chat ? choice["message"]!["content"]!.GetValue<string>() : choice["text"]!.GetValue<string>();
        }

        var streaming = request.DeepClone().AsObject();
        streaming["stream"] = true;
        using var response = await Send(worker, path, streaming);
        var text = new StringBuilder();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            if (item.Data == "[DONE]")
            {
                return text.ToString();
            }

            var choice = JsonNode.Parse(item.Data)!["choices"]![0]!;
            text.Append(chat ? choice["delta"]?["content"]?.GetValue<string>() : choice["text"]?.GetValue<string>());
        }

        throw new InvalidOperationException("no [DONE]");
    }

    internal static async Task<JsonObject> PostAsync(Worker worker, string path, JsonObject request)
    {
        using var response = await Send(worker, path, request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    internal static Task<HttpResponseMessage> Send(Worker worker, string path, JsonObject request) =>
        worker.Http.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json") },
            HttpCompletionOption.ResponseHeadersRead);

    internal static async Task AssertIdleAsync(params Worker[] workers)
    {
        foreach (var worker in workers)
        {
            JsonNode? info = null;
            for (var i = 0; i < 300; i++)
            {
                info = JsonNode.Parse(await worker.Http.GetStringAsync("/server_info"));
                var load = info!["load"]!;
                if (load["running"]!.GetValue<int>() + load["waiting"]!.GetValue<int>() + load["held_for_transfer"]!.GetValue<int>() == 0)
                {
                    break;
                }

                await Task.Delay(20);
            }

            Assert.Equal(info!["kv_blocks"]!["total"]!.GetValue<int>(), info["kv_blocks"]!["free"]!.GetValue<int>());
        }
    }

    internal sealed class Worker(RunningWorker running, HttpClient http) : IAsyncDisposable
    {
        public HttpClient Http { get; } = http;

        public RunningWorker Running { get; } = running;

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Running.DisposeAsync();
        }
    }
}
