using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Engine.KvCache;
using Tandem.Engine.Runtime;
using Tandem.Router.Routing;
using Tandem.Router.Tests.Fakes;

namespace Tandem.Router.Tests.Routing;

/// <summary>
/// <c>kv_cache_aware</c> end to end against fake workers: the router hashes each prompt with the model's tokenizer,
/// learns from each worker's <c>/kv_cache_events</c> which blocks it holds, and sends a prompt where its start is cached.
/// </summary>
public class KvCacheAwareTests
{
    private const string Story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static Task<RouterHarness> StartAsync(string contextRouter = "{type: kv_cache_aware, tokens_per_block: 4}") =>
        RouterHarness.StartAsync(contextCount: 2, contextRouter: contextRouter, model: SharedData.Require("models", "stories260K"));

    private static async Task AskAsync(RouterHarness harness, string prompt, bool chat = false)
    {
        var body = chat
            ? new JsonObject { ["model"] = "m", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }), ["max_tokens"] = 4 }
            : new JsonObject { ["model"] = "m", ["prompt"] = prompt, ["max_tokens"] = 4 };
        using var response = await harness.Http.PostAsync(chat ? "/v1/chat/completions" : "/v1/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync(Cancel);
    }

    /// <summary>The stored event a worker holding <paramref name="tokens"/>' full blocks (all but the last token) would report.</summary>
    private static JsonObject Stored(int[] tokens, int tokensPerBlock = 4)
    {
        var blocks = new JsonArray();
        foreach (var hash in BlockHasher.Chain(tokens.AsSpan(0, tokens.Length - 1), tokensPerBlock))
        {
            blocks.Add(new JsonObject { ["type"] = "stored_block", ["block_hash"] = hash, ["tokens"] = new JsonArray(), ["cache_level"] = 0, ["priority"] = 35 });
        }

        return new JsonObject { ["event_id"] = 1, ["data"] = new JsonObject { ["type"] = "stored", ["parent_hash"] = null, ["blocks"] = blocks }, ["window_size"] = 256 };
    }

    private static JsonObject Removed(int[] tokens, int tokensPerBlock = 4) => new()
    {
        ["event_id"] = 2,
        ["data"] = new JsonObject { ["type"] = "removed", ["block_hashes"] = new JsonArray([.. BlockHasher.Chain(tokens.AsSpan(0, tokens.Length - 1), tokensPerBlock).Select(h => (JsonNode)h)]) },
        ["window_size"] = 256,
    };

    private static int Asked(FakeWorker worker, string prompt) => worker.Requests.Count(r => Is(r.Body["prompt"], prompt) || Is(r.Body["messages"]?[0]?["content"], prompt));

    private static bool Is(JsonNode? node, string text) => node is JsonValue value && value.TryGetValue<string>(out var s) && s == text;

    /// <summary>One request to each context server (ties go in turn), so the router polls both after it.</summary>
    private static async Task WarmAsync(RouterHarness harness)
    {
        await AskAsync(harness, "warm one");
        await AskAsync(harness, "warm two");
    }

    /// <summary>Waits until the router has applied what server <paramref name="index"/> of <paramref name="section"/> reported: its <c>cached_blocks</c> in <c>/cluster_info</c> reads <paramref name="blocks"/>.</summary>
    private static async Task WaitForCachedAsync(RouterHarness harness, string section, int index, int blocks)
    {
        var seen = -1;
        for (var i = 0; i < 200; i++)
        {
            var info = JsonNode.Parse(await harness.Http.GetStringAsync("/cluster_info", Cancel))!;
            seen = info[section]![index]!["cached_blocks"]!.GetValue<int>();
            if (seen == blocks)
            {
                return;
            }

            await Task.Delay(25, Cancel);
        }

        Assert.Fail($"the router knows {seen} cached block(s) of {section}[{index}] after 5 s, expected {blocks}");
    }

    [Fact]
    public async Task A_prompt_goes_to_the_server_that_holds_its_start_and_stops_when_the_blocks_are_removed()
    {
        await using var harness = await StartAsync();
        var holder = harness.Context[1];
        var tokens = PromptEncoder.Load(SharedData.Require("models", "stories260K")).Encode(Story);
        holder.KvCacheEvents.Enqueue(Stored(tokens));
        await WarmAsync(harness);
        await WaitForCachedAsync(harness, "context_servers", 1, (tokens.Length - 1) / 4);

        for (var i = 0; i < 4; i++)
        {
            await AskAsync(harness, Story);
        }

        Assert.Equal((0, 4), (Asked(harness.Context[0], Story), Asked(holder, Story)));
        var servers = JsonNode.Parse(await harness.Http.GetStringAsync("/cluster_info", Cancel))!["context_servers"]!.AsArray();
        Assert.Equal([0, (tokens.Length - 1) / 4], servers.Select(s => s!["cached_blocks"]!.GetValue<int>()));

        // The holder evicts the blocks: from then on the prompt is placed by load (in turn, when idle).
        holder.KvCacheEvents.Enqueue(Removed(tokens));
        await AskAsync(harness, Story);
        await WaitForCachedAsync(harness, "context_servers", 1, 0);
        for (var i = 0; i < 4; i++)
        {
            await AskAsync(harness, Story);
        }

        Assert.Equal(2, Asked(harness.Context[0], Story));
    }

    [Fact]
    public async Task A_chat_is_hashed_through_the_chat_template_as_the_worker_renders_it()
    {
        await using var harness = await StartAsync();
        var encoder = PromptEncoder.Load(SharedData.Require("models", "stories260K"));
        var tokens = encoder.EncodeChat([new Engine.ChatTemplates.ChatMessage("user", Story)]);
        harness.Context[0].KvCacheEvents.Enqueue(Stored(tokens));
        await WarmAsync(harness);
        await WaitForCachedAsync(harness, "context_servers", 0, (tokens.Length - 1) / 4);

        for (var i = 0; i < 3; i++)
        {
            await AskAsync(harness, Story, chat: true);
        }

        Assert.Equal((3, 0), (Asked(harness.Context[0], Story), Asked(harness.Context[1], Story)));
    }

    [Fact]
    public void A_longer_cached_start_wins_and_load_breaks_a_tie()
    {
        var policy = new KvCacheAwarePolicy(tokensPerBlock: 4, maxBatchSize: 2);
        var a = new State.UpstreamServer(new Uri("http://127.0.0.1:1"));
        var b = new State.UpstreamServer(new Uri("http://127.0.0.1:2"));
        ulong[] prompt = [11, 12, 13, 14];
        Apply(policy, a, prompt[..1]);
        Apply(policy, b, [.. prompt[..2], 99]);
        Assert.Equal((1, 2), (policy.MatchedBlocks(a, prompt), policy.MatchedBlocks(b, prompt)));
        Assert.All(Enumerable.Range(0, 4), _ => Assert.Same(b, policy.Pick([a, b], 10, prompt)));

        // b: 2 of 4 blocks (0.5) less 2 requests of 2 (1.0); a: 0.25.
        using (b.Acquire(1))
        using (b.Acquire(1))
        {
            Assert.Same(a, policy.Pick([a, b], 10, prompt));
        }

        // A worker that made a new pool (it restarted) holds nothing it reported before.
        using var created = System.Text.Json.JsonDocument.Parse("""[{"event_id": 0, "data": {"type": "created", "num_blocks_per_cache_level": [64, 0]}}]""");
        policy.Apply(b, created.RootElement);
        Assert.Equal(0, policy.MatchedBlocks(b, prompt));
    }

    [Fact]
    public async Task Without_a_loadable_model_the_router_does_not_start()
    {
        var problem = await Assert.ThrowsAsync<RouterStartException>(() => RouterHarness.StartAsync(contextCount: 2, contextRouter: "{type: kv_cache_aware}", model: "/no/such/model"));
        Assert.Contains("kv_cache_aware cannot load the tokenizer of model '/no/such/model'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Conditional_disaggregation_sends_a_prompt_a_generation_server_mostly_holds_whole_to_it()
    {
        await using var harness = await RouterHarness.StartAsync(
            generationRouter: "{type: kv_cache_aware, tokens_per_block: 4}",
            model: SharedData.Require("models", "stories260K"),
            extraYaml: "conditional_disagg_config: {max_local_prefill_length: 8}");
        var generation = harness.Generation[0];
        var tokens = PromptEncoder.Load(SharedData.Require("models", "stories260K")).Encode(Story);
        generation.KvCacheEvents.Enqueue(Stored(tokens));
        await AskAsync(harness, "warm one");
        await WaitForCachedAsync(harness, "generation_servers", 0, (tokens.Length - 1) / 4);

        await AskAsync(harness, Story);
        const string Other = "The cat sat on the mat and looked at the big dog.";
        await AskAsync(harness, Other);

        // The held prompt skipped the context leg; the other one took both.
        Assert.Equal(0, Asked(harness.Context[0], Story));
        var whole = Assert.Single(generation.Requests, r => Is(r.Body["prompt"], Story));
        Assert.Null(FakeWorker.RequestType(whole.Body));
        Assert.Equal(1, Asked(harness.Context[0], Other));
        Assert.Equal(2, generation.Count("generation_only")); // "warm one" and the other prompt
    }

    private static void Apply(KvCacheAwarePolicy policy, State.UpstreamServer server, ulong[] hashes)
    {
        var blocks = new JsonArray([.. hashes.Select(h => (JsonNode)new JsonObject { ["block_hash"] = h })]);
        var events = new JsonArray(new JsonObject { ["data"] = new JsonObject { ["type"] = "stored", ["blocks"] = blocks } });
        using var json = System.Text.Json.JsonDocument.Parse(events.ToJsonString());
        policy.Apply(server, json.RootElement);
    }
}
