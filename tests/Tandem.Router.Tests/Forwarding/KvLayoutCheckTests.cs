using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Tandem.Router.Tests.Fakes;

namespace Tandem.Router.Tests.Forwarding;

/// <summary>Startup compares the context and generation servers' KV layouts (their <c>/server_info</c>) and names a mismatch.</summary>
public sealed class KvLayoutCheckTests
{
    private static JsonObject Layout(string dtype, int tokensPerBlock = 32) => new()
    {
        ["model_fingerprint"] = "6ce7b440fad5ee48",
        ["layers"] = 5,
        ["kv_heads"] = 4,
        ["head_dim"] = 8,
        ["dtype"] = dtype,
        ["tokens_per_block"] = tokensPerBlock,
    };

    private static IEnumerable<(LogLevel Level, string Message)> Mismatches(RouterHarness harness) =>
        harness.Logs.Lines.Where(l => l.Level == LogLevel.Error && l.Message.StartsWith("KV layouts differ", StringComparison.Ordinal));

    [Fact]
    public async Task A_dtype_mismatch_is_logged_once_per_pair_of_layouts_naming_both_and_the_router_still_starts()
    {
        await using var harness = await RouterHarness.StartAsync(contextCount: 2, prepare: (context, generation) =>
        {
            context[0].KvLayout = Layout("bfloat16");
            context[1].KvLayout = Layout("bfloat16");
            generation[0].KvLayout = Layout("float32");
        });

        var line = Assert.Single(Mismatches(harness));
        Assert.Contains($"context server {harness.Context[0].Name} has [model_fingerprint \"6ce7b440fad5ee48\", layers 5, kv_heads 4, head_dim 8, dtype \"bfloat16\", tokens_per_block 32]", line.Message, StringComparison.Ordinal);
        Assert.Contains($"generation server {harness.Generation[0].Name} has [", line.Message, StringComparison.Ordinal);
        Assert.Contains("dtype \"float32\"", line.Message, StringComparison.Ordinal);
        Assert.Contains("kv_cache_config (dtype, tokens_per_block)", line.Message, StringComparison.Ordinal);

        using var response = await harness.Http.PostAsync("/v1/completions", new StringContent("""{"model":"fake","prompt":"Hi","max_tokens":4}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Equal_layouts_and_servers_that_tell_none_log_nothing()
    {
        await using (var equal = await RouterHarness.StartAsync(prepare: (context, generation) =>
        {
            context[0].KvLayout = Layout("bfloat16", 16);
            generation[0].KvLayout = Layout("bfloat16", 16);
        }))
        {
            Assert.Empty(Mismatches(equal));
        }

        await using var unknown = await RouterHarness.StartAsync(prepare: (context, _) => context[0].KvLayout = Layout("bfloat16"));
        Assert.Empty(Mismatches(unknown));
    }
}
