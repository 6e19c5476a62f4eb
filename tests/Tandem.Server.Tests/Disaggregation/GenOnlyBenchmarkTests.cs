using System.Net;
using System.Text.Json.Nodes;
using Tandem.Server.Configuration;
using Tandem.Server.Tests.Configuration;
using static Tandem.Server.Tests.Disaggregation.WorkerLegsTests;

namespace Tandem.Server.Tests.Disaggregation;

/// <summary>
/// TensorRT-LLM's gen-only benchmark mode (<c>TRTLLM_DISAGG_BENCHMARK_GEN_ONLY=1</c>): a generation server decodes
/// requests that never had a context leg, from an uninitialized KV cache.
/// </summary>
public class GenOnlyBenchmarkTests
{
    [Fact]
    public void The_environment_variable_turns_the_mode_on_with_a_warning()
    {
        var on = Loading.Run(null, environment: new Dictionary<string, string> { ["TRTLLM_DISAGG_BENCHMARK_GEN_ONLY"] = "1" });
        Assert.True(on.Settings!.BenchmarkGenerationOnly);
        Assert.Contains(on.Warnings, w => w.StartsWith("TRTLLM_DISAGG_BENCHMARK_GEN_ONLY=1", StringComparison.Ordinal));
        Assert.False(Loading.Run(null).Settings!.BenchmarkGenerationOnly);
        Assert.False(Loading.Run(null, environment: new Dictionary<string, string> { ["TRTLLM_DISAGG_BENCHMARK_GEN_ONLY"] = "0" }).Settings!.BenchmarkGenerationOnly);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_generation_leg_without_transfer_state_decodes_all_its_tokens_only_in_the_mode(bool benchmark)
    {
        await using var gen = await StartAsync(ServerRole.Generation, adjust: s => s with { BenchmarkGenerationOnly = benchmark });
        var leg = Request("/v1/completions", "Once upon a time, a little dog", 24);
        leg["ignore_eos"] = true;
        leg["disaggregated_params"] = new JsonObject
        {
            ["request_type"] = "generation_only",
            ["first_gen_tokens"] = new JsonArray(7),
            ["ctx_request_id"] = 1,
            ["encoded_opaque_state"] = null,
            ["draft_tokens"] = null,
        };

        using var response = await Send(gen, "/v1/completions", leg);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        if (!benchmark)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("encoded_opaque_state", body, StringComparison.Ordinal);
        }
        else
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            var answer = JsonNode.Parse(body)!;
            Assert.Equal("length", answer["choices"]![0]!["finish_reason"]!.GetValue<string>());
            Assert.Equal(24, answer["usage"]!["completion_tokens"]!.GetValue<int>());
        }

        await AssertIdleAsync(gen);
    }
}
