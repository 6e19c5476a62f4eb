using System.Net;
using System.Text.Json.Nodes;
using Tandem.Engine.KvCache;
using Tandem.Server.Configuration;
using static Tandem.Server.Tests.Disaggregation.WorkerLegsTests;

namespace Tandem.Server.Tests.Disaggregation;

/// <summary>
/// A worker's <c>POST /kv_cache_events</c>: TensorRT-LLM's KV-cache events in its JSON, drained by each call, as a
/// KV-aware router reads them.
/// </summary>
public class KvCacheEventsEndpointTests
{
    [Fact]
    public async Task Events_come_in_TensorRT_LLM_json_once_each()
    {
        await using var worker = await StartAsync(ServerRole.Both, adjust: s => s with { KvCacheEnableBlockReuse = true, TokensPerBlock = 8, KvCacheEventBufferMaxSize = 100 });
        int[] prompt = [.. Enumerable.Range(0, 30).Select(i => 3 + (i * 17 % 400))];
        var request = Request("/v1/completions", "unused", 4);
        request["prompt"] = new JsonArray([.. prompt.Select(t => (JsonNode)t)]);
        await PostAsync(worker, "/v1/completions", request);

        var events = await DrainAsync(worker);
        var created = events[0]!;
        Assert.Equal(0, created["event_id"]!.GetValue<long>());
        Assert.Equal("created", created["data"]!["type"]!.GetValue<string>());
        Assert.Equal(2, created["data"]!["num_blocks_per_cache_level"]!.AsArray().Count);
        Assert.True(created["window_size"]!.GetValue<int>() > 0);

        var stored = Assert.Single(events, e => e!["data"]!["type"]!.GetValue<string>() == "stored")!["data"]!;
        Assert.Null(stored["parent_hash"]);
        // 30 prompt tokens and 3 of the 4 generated ones computed: 4 full blocks, the last one partly generated.
        var blocks = stored["blocks"]!.AsArray();
        var hashes = blocks.Select(b => b!["block_hash"]!.GetValue<ulong>()).ToList();
        var chain = BlockHasher.Chain(prompt.AsSpan(0, prompt.Length - 1), 8);
        Assert.Equal(chain, hashes.Take(3));
        var last = blocks[3]!["tokens"]!.AsArray().Select(t => t!["token_id"]!.GetValue<int>()).ToArray();
        Assert.Equal(prompt.Skip(24), last.Take(6));
        Assert.Equal(BlockHasher.Hash(last, chain[2]), hashes[3]);
        var block = blocks[0]!;
        Assert.Equal("stored_block", block["type"]!.GetValue<string>());
        Assert.Equal((0, 35), (block["cache_level"]!.GetValue<int>(), block["priority"]!.GetValue<int>()));
        Assert.Equal(prompt.Take(8), block["tokens"]!.AsArray().Select(t => t!["token_id"]!.GetValue<int>()));
        Assert.All(block["tokens"]!.AsArray(), t => Assert.Equal(("unique_token", 0), (t!["type"]!.GetValue<string>(), t["token_extra_id"]!.GetValue<int>())));

        Assert.Empty(await DrainAsync(worker));
        await AssertIdleAsync(worker);
    }

    [Fact]
    public async Task Without_an_event_buffer_the_list_is_empty()
    {
        await using var worker = await StartAsync(ServerRole.Both);
        await PostAsync(worker, "/v1/completions", Request("/v1/completions", "Once upon a time", 3));
        Assert.Empty(await DrainAsync(worker));
    }

    private static async Task<JsonArray> DrainAsync(Worker worker)
    {
        using var response = await worker.Http.PostAsync("/kv_cache_events", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsArray();
    }
}
