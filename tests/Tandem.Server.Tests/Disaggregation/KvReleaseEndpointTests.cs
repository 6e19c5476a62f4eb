using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Server.Configuration;
using Tandem.Transfer;
using static Tandem.Server.Tests.Disaggregation.WorkerLegsTests;

namespace Tandem.Server.Tests.Disaggregation;

/// <summary><c>POST /kv_cache_release</c>: a context server frees a request's held KV blocks when its generation leg will not come.</summary>
public class KvReleaseEndpointTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_release_frees_the_blocks_at_once_and_repeating_it_changes_nothing()
    {
        await using var ctx = await StartAsync(ServerRole.Context);
        var parameters = await ContextLegAsync(ctx);
        Assert.Equal(1, await HeldAsync(ctx));

        var (status, first) = await ReleaseAsync(ctx, new JsonObject { ["disaggregated_params"] = parameters.DeepClone() });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(first["released"]!.GetValue<bool>(), first.ToJsonString());
        Assert.Equal(0, await HeldAsync(ctx)); // now, not at the end of the 10 s lease
        await AssertIdleAsync(ctx);

        var (againStatus, again) = await ReleaseAsync(ctx, new JsonObject { ["disaggregated_params"] = parameters.DeepClone() });
        Assert.Equal(HttpStatusCode.OK, againStatus);
        Assert.False(again["released"]!.GetValue<bool>());
        Assert.Contains("unknown or was already transferred", again["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_release_after_the_transfer_changes_nothing_and_the_answer_is_the_same()
    {
        await using var ctx = await StartAsync(ServerRole.Context);
        await using var gen = await StartAsync(ServerRole.Generation);
        var request = Request("/v1/completions", "Once upon a time", 12);
        var contextLeg = request.DeepClone().AsObject();
        contextLeg["disaggregated_params"] = new JsonObject { ["request_type"] = "context_only" };
        var contextAnswer = await PostAsync(ctx, "/v1/completions", contextLeg);
        var answer = await PostAsync(gen, "/v1/completions", GenerationLeg(request, contextAnswer, "/v1/completions"));
        Assert.Null(answer["choices"]![0]!["disaggregated_params"]?["kv_transfer"]); // pulled, not recomputed

        var (status, release) = await ReleaseAsync(ctx, new JsonObject { ["disaggregated_params"] = contextAnswer["choices"]![0]!["disaggregated_params"]!.DeepClone() });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(release["released"]!.GetValue<bool>());
        await AssertIdleAsync(ctx, gen);
    }

    [Fact]
    public async Task A_wrong_secret_is_forbidden_and_bad_bodies_are_refused_while_the_blocks_stay_pullable()
    {
        await using var ctx = await StartAsync(ServerRole.Context);
        var parameters = await ContextLegAsync(ctx);
        Assert.True(KvTransferState.TryDecode(parameters["encoded_opaque_state"]!.GetValue<string>(), out var state, out _));
        var forged = parameters.DeepClone().AsObject();
        forged["encoded_opaque_state"] = (state with { Secret = KvTransferState.NewSecret() }).Encode();

        var (forgedStatus, forgedAnswer) = await ReleaseAsync(ctx, new JsonObject { ["disaggregated_params"] = forged });
        Assert.Equal(HttpStatusCode.Forbidden, forgedStatus);
        Assert.Contains("secret", forgedAnswer["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        foreach (var bad in (string[])["not json", "[1]", "{}", """{"disaggregated_params": 5}""", """{"disaggregated_params": {"encoded_opaque_state": 5}}""", """{"disaggregated_params": {"encoded_opaque_state": "AA=="}}"""])
        {
            using var response = await ctx.Http.PostAsync("/kv_cache_release", new StringContent(bad, Encoding.UTF8, "application/json"), Cancel);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("encoded_opaque_state", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        }

        Assert.Equal(1, await HeldAsync(ctx));
        var (status, released) = await ReleaseAsync(ctx, new JsonObject { ["disaggregated_params"] = parameters.DeepClone() });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(released["released"]!.GetValue<bool>());
        await AssertIdleAsync(ctx);
    }

    [Fact]
    public async Task A_generation_server_says_it_holds_nothing_for_transfer()
    {
        await using var ctx = await StartAsync(ServerRole.Context);
        await using var gen = await StartAsync(ServerRole.Generation);
        var parameters = await ContextLegAsync(ctx);

        var (status, answer) = await ReleaseAsync(gen, new JsonObject { ["disaggregated_params"] = parameters.DeepClone() });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("generation server", answer["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, await HeldAsync(ctx));
    }

    private static async Task<JsonObject> ContextLegAsync(Worker ctx)
    {
        var leg = Request("/v1/completions", "Once upon a time, a little dog", 30);
        leg["disaggregated_params"] = new JsonObject { ["request_type"] = "context_only" };
        var answer = await PostAsync(ctx, "/v1/completions", leg);
        Assert.Equal("not_finished", answer["choices"]![0]!["finish_reason"]!.GetValue<string>());
        return answer["choices"]![0]!["disaggregated_params"]!.AsObject();
    }

    private static async Task<int> HeldAsync(Worker worker) =>
        JsonNode.Parse(await worker.Http.GetStringAsync("/server_info", Cancel))!["load"]!["held_for_transfer"]!.GetValue<int>();

    private static async Task<(HttpStatusCode Status, JsonObject Body)> ReleaseAsync(Worker worker, JsonObject body)
    {
        using var response = await worker.Http.PostAsync("/kv_cache_release", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), Cancel);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!.AsObject());
    }
}
