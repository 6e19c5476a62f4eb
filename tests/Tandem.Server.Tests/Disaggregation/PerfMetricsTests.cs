using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Server.Configuration;
using static Tandem.Server.Tests.Disaggregation.WorkerLegsTests;

namespace Tandem.Server.Tests.Disaggregation;

/// <summary>
/// A worker's <c>GET /perf_metrics</c> (per-request timings and KV blocks, drained by each call) and
/// <c>/steady_clock_offset</c>, which the disaggregated server uses to join both legs of a request.
/// </summary>
public class PerfMetricsTests
{
    private static ServerSettings Keep(ServerSettings settings, int requests) =>
        settings with { ReturnPerfMetrics = true, PerfMetricsMaxRequests = requests };

    [Fact]
    public async Task Without_return_perf_metrics_nothing_is_kept()
    {
        await using var worker = await StartAsync(ServerRole.Both);
        await PostAsync(worker, "/v1/completions", Request("/v1/completions", "Once upon a time", 4));
        Assert.Empty(await DrainAsync(worker));
    }

    [Fact]
    public async Task Both_legs_report_their_timings_in_order_and_a_second_call_finds_them_drained()
    {
        await using var ctx = await StartAsync(ServerRole.Context, adjust: s => Keep(s, 10));
        await using var gen = await StartAsync(ServerRole.Generation, adjust: s => Keep(s, 10));
        var ids = new List<long>();
        foreach (var stream in new[] { false, true })
        {
            var request = Request("/v1/completions", stream ? "The cat sat on the mat" : "Once upon a time, a little dog", 12);
            var contextLeg = request.DeepClone().AsObject();
            contextLeg["disaggregated_params"] = new JsonObject { ["request_type"] = "context_only" };
            var contextAnswer = await PostAsync(ctx, "/v1/completions", contextLeg);
            ids.Add(contextAnswer["choices"]![0]!["disaggregated_params"]!["ctx_request_id"]!.GetValue<long>());
            await TextAsync(gen, "/v1/completions", GenerationLeg(request, contextAnswer, "/v1/completions"), stream);
        }

        var contextItems = await DrainAsync(ctx);
        var generationItems = await DrainAsync(gen);
        Assert.Equal(ids, contextItems.Select(i => i["ctx_request_id"]!.GetValue<long>()));
        Assert.Equal(ids, generationItems.Select(i => i["ctx_request_id"]!.GetValue<long>()));
        foreach (var item in contextItems.Concat(generationItems))
        {
            var perf = item["perf_metrics"]!;
            var t = perf["timing_metrics"]!;
            double At(string name) => t[name]!.GetValue<double>();
            Assert.True(At("server_arrival_time") <= At("arrival_time"), t.ToJsonString());
            Assert.True(At("arrival_time") <= At("first_scheduled_time"), t.ToJsonString());
            Assert.True(At("first_scheduled_time") <= At("first_token_time"), t.ToJsonString());
            Assert.True(At("first_token_time") <= At("last_token_time"), t.ToJsonString());
            Assert.True(At("first_token_time") <= At("server_first_token_time"), t.ToJsonString());
            Assert.True(perf["first_iter"]!.GetValue<long>() <= perf["last_iter"]!.GetValue<long>());
            var blocks = perf["kv_cache_metrics"]!;
            Assert.True(blocks["num_total_allocated_blocks"]!.GetValue<int>() >= 1, blocks.ToJsonString());
            Assert.Equal(blocks["num_total_allocated_blocks"]!.GetValue<int>(), blocks["num_new_allocated_blocks"]!.GetValue<int>());
            Assert.Equal(0, blocks["num_reused_blocks"]!.GetValue<int>());
        }

        // Only the generation leg pulled a cache: its size and when the pull ran, before the engine saw the request.
        foreach (var item in contextItems)
        {
            Assert.Null(item["perf_metrics"]!["timing_metrics"]!["kv_cache_size"]);
        }

        foreach (var item in generationItems)
        {
            var t = item["perf_metrics"]!["timing_metrics"]!;
            Assert.True(t["kv_cache_size"]!.GetValue<long>() > 0, t.ToJsonString());
            Assert.True(t["kv_cache_transfer_start"]!.GetValue<double>() <= t["kv_cache_transfer_end"]!.GetValue<double>(), t.ToJsonString());
            Assert.True(t["kv_cache_transfer_end"]!.GetValue<double>() <= t["arrival_time"]!.GetValue<double>(), t.ToJsonString());
        }

        Assert.Empty(await DrainAsync(ctx));
        Assert.Empty(await DrainAsync(gen));
        await AssertIdleAsync(ctx, gen);
    }

    [Fact]
    public async Task Only_the_newest_perf_metrics_max_requests_are_kept()
    {
        await using var worker = await StartAsync(ServerRole.Both, adjust: s => Keep(s, 2));
        var ids = new List<string>();
        foreach (var prompt in new[] { "Once", "The cat", "A dog ran" })
        {
            var answer = await PostAsync(worker, "/v1/completions", Request("/v1/completions", prompt, 3));
            ids.Add(answer["id"]!.GetValue<string>());
        }

        var items = await DrainAsync(worker);
        Assert.Equal(ids.Skip(1), items.Select(i => i["request_id"]!.GetValue<string>()));
        Assert.All(items, i => Assert.Null(i["ctx_request_id"]?.GetValue<long?>()));
    }

    [Fact]
    public async Task With_block_reuse_a_repeated_prompt_reports_its_reused_blocks_and_answers_the_same()
    {
        await using var worker = await StartAsync(ServerRole.Both, adjust: s => Keep(s, 10) with { KvCacheEnableBlockReuse = true, TokensPerBlock = 8 });
        var request = Request("/v1/completions", "unused", 10);
        request["prompt"] = new JsonArray([.. Enumerable.Range(0, 30).Select(i => (JsonNode)(3 + (i * 17 % 400)))]);
        var first = await PostAsync(worker, "/v1/completions", request);
        var second = await PostAsync(worker, "/v1/completions", request);
        Assert.Equal(first["choices"]![0]!["text"]!.GetValue<string>(), second["choices"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(0, first["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>());
        Assert.Equal(24, second["usage"]!["prompt_tokens_details"]!["cached_tokens"]!.GetValue<int>());

        var blocks = (await DrainAsync(worker)).Select(i => i["perf_metrics"]!["kv_cache_metrics"]!).ToList();
        Assert.Equal(0, blocks[0]["num_reused_blocks"]!.GetValue<int>());
        Assert.Equal(3, blocks[1]["num_reused_blocks"]!.GetValue<int>()); // 30 tokens: 3 full blocks of 8 before the last token
        Assert.Equal(blocks[1]["num_total_allocated_blocks"]!.GetValue<int>() - 3, blocks[1]["num_new_allocated_blocks"]!.GetValue<int>());
        await AssertIdleAsync(worker);

        // The ended requests' full blocks stay cached, and count as free.
        var kv = JsonNode.Parse(await worker.Http.GetStringAsync("/server_info", TestContext.Current.CancellationToken))!["kv_blocks"]!;
        Assert.True(kv["cached"]!.GetValue<int>() >= 4, kv.ToJsonString());
        Assert.Equal(kv["total"]!.GetValue<int>(), kv["free"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_offset_posted_to_steady_clock_offset_moves_every_reported_time()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var worker = await StartAsync(ServerRole.Both, adjust: s => Keep(s, 10));
        var reading = JsonNode.Parse(await worker.Http.GetStringAsync("/steady_clock_offset", ct))!;
        var before = reading["transmit_ts"]!.GetValue<double>();
        Assert.True(reading["receive_ts"]!.GetValue<double>() <= before);

        using (var set = await worker.Http.PostAsync("/steady_clock_offset", Json("""{"offset": 1000.5}"""), ct))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }

        await PostAsync(worker, "/v1/completions", Request("/v1/completions", "Once upon a time", 3));
        var after = JsonNode.Parse(await worker.Http.GetStringAsync("/steady_clock_offset", ct))!["receive_ts"]!.GetValue<double>();
        var arrival = Assert.Single(await DrainAsync(worker))["perf_metrics"]!["timing_metrics"]!["server_arrival_time"]!.GetValue<double>();
        Assert.InRange(arrival, before + 1000.5, after + 1000.5);

        foreach (var bad in new[] { "not json", """{"offset":"soon"}""", "{}", """{"offset":null}""" })
        {
            using var refused = await worker.Http.PostAsync("/steady_clock_offset", Json(bad), ct);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("offset", await refused.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<List<JsonNode>> DrainAsync(Worker worker)
    {
        var body = await worker.Http.GetStringAsync("/perf_metrics", TestContext.Current.CancellationToken);
        return [.. JsonNode.Parse(body)!.AsArray().Select(n => n!)];
    }
}
