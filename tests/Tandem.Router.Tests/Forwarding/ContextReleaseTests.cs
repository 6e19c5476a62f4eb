using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Router.Tests.Fakes;

namespace Tandem.Router.Tests.Forwarding;

/// <summary>A request whose generation leg does not complete has its context server's held KV blocks freed at once.</summary>
public sealed class ContextReleaseTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static StringContent Body(bool stream) => new(
        new JsonObject { ["model"] = "fake", ["prompt"] = "Tell a story", ["max_tokens"] = 16, ["temperature"] = 0, ["stream"] = stream }.ToJsonString(),
        Encoding.UTF8,
        "application/json");

    [Fact]
    public async Task A_failed_generation_leg_releases_the_context_servers_blocks_with_its_answers_params()
    {
        await using var harness = await RouterHarness.StartAsync();
        harness.Generation[0].FailWith = HttpStatusCode.InternalServerError;

        using var response = await harness.Http.PostAsync("/v1/completions", Body(stream: false), Cancel);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var release = await OneReleaseAsync(harness.Context[0]);
        var parameters = release["disaggregated_params"]!;
        Assert.Equal(FakeWorker.OpaqueState, parameters["encoded_opaque_state"]!.GetValue<string>());
        Assert.Equal(FakeWorker.CtxRequestId, parameters["ctx_request_id"]!.GetValue<long>());
        await AssertReleaseCountedAsync(harness, "released");
    }

    [Theory]
    [InlineData("disaggregated_params.encoded_opaque_state", false)]
    [InlineData("prompt_token_ids", true)]
    public async Task A_generation_server_refusing_the_hand_off_is_the_routers_502_not_the_clients_400_and_releases_the_blocks(string param, bool stream)
    {
        await using var harness = await RouterHarness.StartAsync();
        harness.Generation[0].RefuseGenerationParam = param;

        using var response = await harness.Http.PostAsync("/v1/completions", Body(stream), Cancel);

        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.BadGateway, body);
        var message = JsonNode.Parse(body)!["error"]!["message"]!.GetValue<string>();
        Assert.Equal($"generation server {harness.Generation[0].Name} refused the request's hand-off from its context server (400 Bad Request): the fake refuses {param}", message);
        await OneReleaseAsync(harness.Context[0]);
        var cluster = JsonNode.Parse(await harness.Http.GetStringAsync("/cluster_info", Cancel))!;
        Assert.Contains("refused the request's hand-off", cluster.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_generation_server_refusing_a_field_of_the_clients_request_still_answers_the_client_400()
    {
        await using var harness = await RouterHarness.StartAsync();
        harness.Generation[0].RefuseGenerationParam = "max_tokens";

        using var response = await harness.Http.PostAsync("/v1/completions", Body(stream: false), Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("the fake refuses max_tokens", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        await OneReleaseAsync(harness.Context[0]);
    }

    [Fact]
    public async Task An_unreachable_generation_server_releases_the_blocks()
    {
        await using var harness = await RouterHarness.StartAsync();
        await harness.Generation[0].DisposeAsync();
        harness.Context[0].ReleaseHeld = false;

        using var response = await harness.Http.PostAsync("/v1/completions", Body(stream: true), Cancel);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        await OneReleaseAsync(harness.Context[0]);
        await AssertReleaseCountedAsync(harness, "not_held");
    }

    [Fact]
    public async Task A_client_gone_during_the_generation_leg_releases_the_blocks()
    {
        await using var harness = await RouterHarness.StartAsync();
        var generation = harness.Generation[0];
        generation.GenerationTokens = Enumerable.Repeat(" word", 200).ToList();
        generation.ChunkDelay = TimeSpan.FromMilliseconds(50);
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = Body(stream: true) })
        using (var response = await harness.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancel))
        {
            var stream = await response.Content.ReadAsStreamAsync(Cancel);
            Assert.True(await stream.ReadAsync(new byte[64], Cancel) > 0);
        }

        await generation.Aborted.WaitAsync(TimeSpan.FromSeconds(5), Cancel);
        await OneReleaseAsync(harness.Context[0]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_completed_request_releases_nothing(bool stream)
    {
        await using var harness = await RouterHarness.StartAsync();

        using var response = await harness.Http.PostAsync("/v1/completions", Body(stream), Cancel);
        await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Task.Delay(300, Cancel); // a release would be on its way by now
        Assert.Empty(harness.Context[0].Releases);
    }

    [Fact]
    public async Task A_context_server_without_the_endpoint_is_left_to_its_lease()
    {
        await using var harness = await RouterHarness.StartAsync();
        harness.Generation[0].FailWith = HttpStatusCode.InternalServerError;
        harness.Context[0].EditContextAnswer = answer =>
        {
            // A context server that answers release with 404 (not Tandem's) and whose state is not Tandem's either.
            answer["choices"]![0]!["disaggregated_params"]!["encoded_opaque_state"] = "bm90LXRhbmRlbQ==";
            return answer;
        };
        harness.Context[0].ReleaseMissing = true;

        using var response = await harness.Http.PostAsync("/v1/completions", Body(stream: false), Cancel);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        await AssertReleaseCountedAsync(harness, "unsupported");
    }

    private static async Task<JsonObject> OneReleaseAsync(FakeWorker worker)
    {
        for (var i = 0; i < 250 && worker.Releases.IsEmpty; i++)
        {
            await Task.Delay(20, Cancel);
        }

        return Assert.Single(worker.Releases);
    }

    private static async Task AssertReleaseCountedAsync(RouterHarness harness, string result)
    {
        var line = $"tandem_router_kv_releases_total{{result=\"{result}\"}} 1";
        var metrics = string.Empty;
        for (var i = 0; i < 250 && !metrics.Contains(line, StringComparison.Ordinal); i++)
        {
            metrics = await harness.Http.GetStringAsync("/metrics", Cancel);
            await Task.Delay(20, Cancel);
        }

        Assert.Contains(line, metrics, StringComparison.Ordinal);
    }
}
