using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tandem.IntegrationTests;

/// <summary>
/// Two context servers, one generation server and the router as real processes from one config,
/// against one aggregated `tandem serve`: the same text token for token, in every mode.
/// </summary>
public class DisaggregatedServingTests
{
    private static readonly string[] Prompts =
    [
        "Once upon a time",
        "The little dog wanted to",
        "Lily and Ben went to the park. They",
        "One day, a big red ball",
        "The cat was sad because",
        "Tom had a new toy. He",
    ];

    [Fact]
    public async Task The_router_answers_exactly_as_one_server_in_every_mode()
    {
        await using var topology = await Topology.StartAsync(("both", false, false), ("context", true, false), ("context", true, false), ("generation", false, true));
        var single = topology.Workers[0];
        foreach (var chat in new[] { false, true })
        {
            foreach (var stream in new[] { false, true })
            {
                var expected = await Task.WhenAll(Prompts.Select(p => topology.AskAsync(single, chat, p, 32, stream)));
                var routed = await Task.WhenAll(Prompts.Select(p => topology.AskAsync(topology.Router, chat, p, 32, stream)));
                for (var i = 0; i < Prompts.Length; i++)
                {
                    Assert.True(expected[i] == routed[i], $"chat={chat} stream={stream} prompt '{Prompts[i]}': expected {expected[i]}, got {routed[i]}\n{topology.Logs}");
                }

                // A request that finishes at its first token is answered by the context server, in both stream modes.
                var one = await topology.AskAsync(topology.Router, chat, Prompts[0], 1, stream);
                Assert.Equal(await topology.AskAsync(single, chat, Prompts[0], 1, stream), one);
                Assert.Equal("length", one.Finish);
            }
        }

        await topology.AssertPoolsFullAsync();
    }

    [Fact]
    public async Task A_mixed_server_listed_in_both_sections_works()
    {
        await using var topology = await Topology.StartAsync(("both", false, false), ("both", true, true));
        foreach (var prompt in Prompts.Take(3))
        {
            Assert.Equal(await topology.AskAsync(topology.Workers[0], false, prompt, 24, false), await topology.AskAsync(topology.Router, false, prompt, 24, false));
            Assert.Equal(await topology.AskAsync(topology.Workers[0], true, prompt, 24, true), await topology.AskAsync(topology.Router, true, prompt, 24, true));
        }

        await topology.AssertPoolsFullAsync();
    }

    [Fact]
    public async Task The_client_sends_a_prompts_file_and_saves_the_same_answers_as_one_server()
    {
        await using var topology = await Topology.StartAsync(("both", false, false), ("context", true, false), ("generation", false, true));
        var promptsFile = Path.Combine(topology.Directory, "prompts.json");
        File.WriteAllText(promptsFile, JsonSerializer.Serialize(Prompts));
        var outputFile = Path.Combine(topology.Directory, "output.json");

        var client = topology.Start("client", "client", "-c", topology.ConfigPath, "-p", promptsFile, "--max-tokens", "20", "-o", outputFile, "--streaming");
        Assert.True(await client.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, client.Output);
        Assert.Contains("6 requests, 6 ok", client.Output, StringComparison.Ordinal);

        var answers = JsonSerializer.Deserialize<string[]>(File.ReadAllText(outputFile))!;
        for (var i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal((await topology.AskAsync(topology.Workers[0], false, Prompts[i], 20, false)).Text, answers[i]);
        }

        await topology.AssertPoolsFullAsync();
    }

    [Fact]
    public async Task A_generation_server_killed_mid_stream_ends_the_stream_with_an_error_and_leaves_no_held_blocks()
    {
        await using var topology = await Topology.StartAsync(("context", true, false), ("generation", false, true));
        var body = new JsonObject { ["model"] = Topology.Model, ["prompt"] = Prompts[0], ["max_tokens"] = 400, ["ignore_eos"] = true, ["temperature"] = 0, ["stream"] = true };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(topology.Router, "v1/completions")) { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        using var response = await topology.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        var events = System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken)).EnumerateAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        Assert.True(await events.MoveNextAsync(), "no first event");
        Assert.Contains("\"text\"", events.Current.Data, StringComparison.Ordinal);

        await topology.KillWorkerAsync(1);
        var rest = new List<string>();
        while (await events.MoveNextAsync())
        {
            rest.Add(events.Current.Data);
        }

        await events.DisposeAsync();
        Assert.True(rest.Count >= 2 && rest[^1] == "[DONE]" && rest[^2].Contains("\"error\"", StringComparison.Ordinal), string.Join("\n", rest.TakeLast(3)) + "\n" + topology.Logs);

        // With the generation server gone, every request fails fast; the context server's blocks are freed at once
        // (the router's /kv_cache_release), not after the 60 s lease.
        foreach (var stream in new[] { false, true })
        {
            body["stream"] = stream;
            body["max_tokens"] = 20;
            using var failed = await topology.Http.PostAsync(new Uri(topology.Router, "v1/completions"), new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
            Assert.Equal(System.Net.HttpStatusCode.BadGateway, failed.StatusCode);
        }

        await topology.AssertPoolFullAsync(topology.Workers[0]);
    }

    [Fact]
    public async Task Perf_metrics_join_both_legs_of_every_request_once()
    {
        await using var topology = await Topology.StartAsync(perfMetrics: true, ("context", true, false), ("generation", false, true));
        var asked = new List<(bool Chat, bool Stream)> { (false, false), (false, true), (true, false), (true, true) };
        foreach (var (chat, stream) in asked)
        {
            await topology.AskAsync(topology.Router, chat, Prompts[1], 12, stream);
        }

        var items = JsonDocument.Parse(await topology.Http.GetStringAsync(new Uri(topology.Router, "perf_metrics"), TestContext.Current.CancellationToken)).RootElement.EnumerateArray().ToList();
        Assert.True(items.Count == asked.Count, topology.Logs);
        var context = topology.Workers[0].Authority;
        var generation = topology.Workers[1].Authority;
        var ids = new HashSet<long>();
        foreach (var item in items)
        {
            Assert.Equal(context, item.GetProperty("ctx_server").GetString());
            Assert.Equal(generation, item.GetProperty("gen_server").GetString());
            var ctx = item.GetProperty("ctx_perf_metrics");
            var gen = item.GetProperty("gen_perf_metrics");
            var id = ctx.GetProperty("ctx_request_id").GetInt64();
            Assert.Equal(id, gen.GetProperty("ctx_request_id").GetInt64());
            Assert.True(ids.Add(id));

            // One clock for all: the router's arrival, then the context leg, the KV pull, the first generated token.
            double At(JsonElement leg, string name) => leg.GetProperty("perf_metrics").GetProperty("timing_metrics").GetProperty(name).GetDouble();
            var arrival = item.GetProperty("disagg_server_arrival_time").GetDouble();
            Assert.True(arrival <= At(ctx, "server_arrival_time") + 0.05, item.ToString());
            Assert.True(At(ctx, "last_token_time") <= At(gen, "kv_cache_transfer_start") + 0.05, item.ToString());
            Assert.True(At(gen, "first_token_time") <= item.GetProperty("disagg_server_first_token_time").GetDouble() + 0.05, item.ToString());
        }

        Assert.Empty(JsonDocument.Parse(await topology.Http.GetStringAsync(new Uri(topology.Router, "perf_metrics"), TestContext.Current.CancellationToken)).RootElement.EnumerateArray());
        await topology.AssertPoolsFullAsync();
    }

    [Fact]
    public async Task Kv_cache_aware_routing_sends_a_repeated_prompt_to_the_context_server_that_cached_it()
    {
        const string workerYaml = "kv_cache_config:\n  tokens_per_block: 16\n  enable_block_reuse: true\n  event_buffer_max_size: 1024\n";
        await using var topology = await Topology.StartAsync(workerYaml, string.Empty, "{type: kv_cache_aware, tokens_per_block: 16}", ("context", true, false), ("context", true, false), ("generation", false, true));
        const string Story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. One day, she found a big red ball under a tree.";
        var expected = (await topology.AskAsync(topology.Router, false, Story, 12, false)).Text;

        // The router learns what the first context server cached from its /kv_cache_events, polled after the leg.
        for (var i = 0; i < 200 && !await KnowsCachedBlocksAsync(topology); i++)
        {
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(expected, (await topology.AskAsync(topology.Router, false, Story, 12, i % 2 == 1)).Text);
        }

        // Every context leg went to the server that computed the prompt first; round robin would have split them 3 / 2.
        var served = new List<int>();
        foreach (var worker in topology.Workers.Take(2))
        {
            var text = await topology.Http.GetStringAsync(new Uri(worker, "prometheus/metrics"), TestContext.Current.CancellationToken);
            served.Add(ContextLegs(text));
        }

        served.Sort();
        Assert.True(served.SequenceEqual([0, 5]), $"context legs per server: {string.Join(", ", served)}\n{topology.Logs}");
        await topology.AssertPoolsFullAsync();
    }

    private static async Task<bool> KnowsCachedBlocksAsync(Topology topology)
    {
        var info = JsonNode.Parse(await topology.Http.GetStringAsync(new Uri(topology.Router, "cluster_info"), TestContext.Current.CancellationToken))!;
        return info["context_servers"]!.AsArray().Any(s => s!["cached_blocks"]!.GetValue<int>() > 0);
    }

    private static int ContextLegs(string prometheus) =>
        prometheus.Split('\n').Where(l => l.StartsWith("tandem_requests_total{outcome=\"not_finished\"}", StringComparison.Ordinal))
            .Select(l => (int)double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)).Sum();
}
