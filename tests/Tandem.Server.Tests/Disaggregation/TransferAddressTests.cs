using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Server.Configuration;
using Tandem.Server.Tests.Endpoints;
using Tandem.Transfer;

namespace Tandem.Server.Tests.Disaggregation;

/// <summary>The address a context worker puts into encoded_opaque_state, from --host and cache_transceiver_config.host.</summary>
public class TransferAddressTests
{
    private static string Model => SharedData.Require("models", "stories260K");

    [Theory]
    [InlineData("127.0.0.1", null, "127.0.0.1")]
    [InlineData("localhost", null, "127.0.0.1")]
    [InlineData("0.0.0.0", "127.0.0.1", "127.0.0.1")]
    [InlineData("0.0.0.0", null, null)]
    [InlineData("*", null, null)]
    public async Task The_advertised_transfer_host_is_reachable_and_matches_server_info(string host, string? transferHost, string? expected)
    {
        // A wildcard worker reached on loopback advertises an interface address (a peer elsewhere could not use loopback).
        expected ??= KvTransferServerAddress.ForWildcard(IPAddress.Any, IPAddress.Loopback, KvTransferServerAddress.InterfaceAddresses());
        var settings = WorkerFixture.Settings(Model) with
        {
            Host = host,
            Port = FreePorts.Next(), // Kestrel cannot bind localhost to port 0
            ServedModelName = WorkerFixture.ModelName,
            ServerRole = ServerRole.Context,
            CacheTransceiver = new CacheTransceiverSettings { Host = transferHost, KvTransferTimeoutMs = 10_000 },
        };
        await using var ctx = await WorkerServer.StartAsync(settings, cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ctx.Address.Port}/"), Timeout = TimeSpan.FromSeconds(60) };
        await using var gen = await WorkerLegsTests.StartAsync(ServerRole.Generation);

        var info = JsonNode.Parse(await http.GetStringAsync("/server_info", TestContext.Current.CancellationToken))!;
        Assert.StartsWith($"{expected}:", info["kv_transfer_endpoint"]!.GetValue<string>(), StringComparison.Ordinal);

        var request = WorkerLegsTests.Request("/v1/completions", "Once upon a time", 12);
        var contextLeg = request.DeepClone().AsObject();
        contextLeg["disaggregated_params"] = new JsonObject { ["request_type"] = "context_only" };
        var contextAnswer = await PostAsync(http, contextLeg);
        var encoded = contextAnswer["choices"]![0]!["disaggregated_params"]!["encoded_opaque_state"]!.GetValue<string>();
        Assert.True(KvTransferState.TryDecode(encoded, out var state, out var error), error);
        Assert.Equal(expected, state.Host);

        var generated = await PostAsync(gen.Http, WorkerLegsTests.GenerationLeg(request, contextAnswer, "/v1/completions"));
        Assert.Null(generated["choices"]![0]!["disaggregated_params"]?["kv_transfer"]);
    }

    private static async Task<JsonObject> PostAsync(HttpClient http, JsonObject request)
    {
        using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/v1/completions", content, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!.AsObject();
    }
}
