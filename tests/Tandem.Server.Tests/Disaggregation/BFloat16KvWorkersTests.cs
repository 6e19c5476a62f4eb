using System.Net;
using System.Text.Json.Nodes;
using Tandem.Engine.KvCache;
using Tandem.Server.Configuration;

namespace Tandem.Server.Tests.Disaggregation;

/// <summary>Workers with <c>kv_cache_config.dtype: bfloat16</c>: the two legs move bfloat16 blocks, and a dtype mismatch is named.</summary>
public class BFloat16KvWorkersTests
{
    private static ServerSettings BFloat16(ServerSettings settings) => settings with { KvCacheDType = KvCacheDType.BFloat16 };

    [Theory]
    [InlineData("/v1/completions", false)]
    [InlineData("/v1/chat/completions", true)]
    public async Task Context_then_generation_equals_one_bfloat16_server_token_for_token(string path, bool stream)
    {
        await using var single = await WorkerLegsTests.StartAsync(ServerRole.Both, adjust: BFloat16);
        await using var ctx = await WorkerLegsTests.StartAsync(ServerRole.Context, adjust: BFloat16);
        await using var gen = await WorkerLegsTests.StartAsync(ServerRole.Generation, adjust: BFloat16);
        var request = WorkerLegsTests.Request(path, "Once upon a time, a little dog", 40);

        var expected = await WorkerLegsTests.TextAsync(single, path, request, stream);
        var contextLeg = request.DeepClone().AsObject();
        contextLeg["disaggregated_params"] = new JsonObject { ["request_type"] = "context_only" };
        var contextAnswer = await WorkerLegsTests.PostAsync(ctx, path, contextLeg);
        var text = await WorkerLegsTests.TextAsync(gen, path, WorkerLegsTests.GenerationLeg(request, contextAnswer, path), stream);

        Assert.Equal(expected, text);
        var info = JsonNode.Parse(await gen.Http.GetStringAsync("/server_info", TestContext.Current.CancellationToken))!;
        Assert.Equal("bfloat16", info["kv_cache_layout"]!["dtype"]!.GetValue<string>());
        await WorkerLegsTests.AssertIdleAsync(ctx, gen, single);
    }

    [Fact]
    public async Task A_generation_server_of_another_kv_dtype_cannot_take_the_blocks_and_says_why()
    {
        await using var ctx = await WorkerLegsTests.StartAsync(ServerRole.Context, adjust: BFloat16);
        await using var gen = await WorkerLegsTests.StartAsync(ServerRole.Generation, KvTransferFailurePolicy.Fail);
        var request = WorkerLegsTests.Request("/v1/completions", "The cat sat", 10);
        var contextLeg = request.DeepClone().AsObject();
        contextLeg["disaggregated_params"] = new JsonObject { ["request_type"] = "context_only" };
        var contextAnswer = await WorkerLegsTests.PostAsync(ctx, "/v1/completions", contextLeg);

        using var response = await WorkerLegsTests.Send(gen, "/v1/completions", WorkerLegsTests.GenerationLeg(request, contextAnswer, "/v1/completions"));
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        // A deployment mistake, not a transfer failure: refused whatever the policy, naming both layouts.
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
        Assert.Contains("KV cache layout mismatch: the context server has [", body, StringComparison.Ordinal);
        Assert.Contains("head size 8, bfloat16, 32 tokens per block], this server has [", body, StringComparison.Ordinal);
        Assert.Contains("head size 8, float32, 32 tokens per block]", body, StringComparison.Ordinal);
        await WorkerLegsTests.AssertIdleAsync(gen);
    }
}
