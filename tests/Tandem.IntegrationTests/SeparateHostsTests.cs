using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Tandem.IntegrationTests;

/// <summary>
/// The context server, the generation server and the router each on its own "host" (a network namespace,
/// <see cref="NetworkNamespaces"/>), so that every HTTP leg and the KV transfer cross veth links:
/// the answers equal one aggregated server's, token for token.
/// </summary>
public class SeparateHostsTests
{
    private const int ContextPort = 8001;
    private const int GenerationPort = 8002;
    private const int RouterPort = 8000;

    private static readonly string[] Prompts =
    [
        "Once upon a time",
        "The little dog wanted to",
        "Lily and Ben went to the park. They",
        "One day, a big red ball",
    ];

    /// <param name="contextHost">The context server's <c>--host</c>: its veth address, or a wildcard, whose advertised address must then be that veth address too.</param>
    [Theory]
    [InlineData("veth")]
    [InlineData("0.0.0.0")]
    public async Task Servers_in_separate_network_namespaces_answer_as_one_server(string contextHost)
    {
        if (await NetworkNamespaces.UnavailableAsync() is { } reason)
        {
            Assert.Skip(reason);
        }

        var directory = Directory.CreateTempSubdirectory("tandem-hosts-").FullName;
        var processes = new List<IAsyncDisposable>();
        NetworkNamespaces? net = null;
        try
        {
            try
            {
                net = await NetworkNamespaces.CreateAsync("ctx", "gen", "rtr");
            }
            catch (InvalidOperationException e)
            {
                Assert.Skip($"cannot create network namespaces here: {e.Message}");
            }

            var (ctx, gen, rtr) = (net.Address("ctx").ToString(), net.Address("gen").ToString(), net.Address("rtr").ToString());
            using var routerSide = net.Client("rtr");
            using var local = new HttpClient { Timeout = TimeSpan.FromSeconds(120) };

            var single = TandemProcess.Start("single", directory, Serve("127.0.0.1", 0, "both"));
            processes.Add(single);
            var context = net.Start("ctx", "context", directory, Serve(contextHost == "veth" ? ctx : contextHost, ContextPort, "context"));
            processes.Add(context);
            var generation = net.Start("gen", "generation", directory, Serve(gen, GenerationPort, "generation"));
            processes.Add(generation);
            string Logs() => string.Join("\n", new[] { context, generation }.Select(p => $"--- {p.Name} ---\n{p.Output}"));

            var contextUri = new Uri($"http://{ctx}:{ContextPort}/");
            var generationUri = new Uri($"http://{gen}:{GenerationPort}/");
            var singleUri = await single.WaitReadyAsync(TimeSpan.FromSeconds(90));
            await single.WaitHealthyAsync(local, new Uri(singleUri, "health"), TimeSpan.FromSeconds(30));
            await context.WaitHealthyAsync(routerSide, new Uri(contextUri, "health"), TimeSpan.FromSeconds(90));
            await generation.WaitHealthyAsync(routerSide, new Uri(generationUri, "health"), TimeSpan.FromSeconds(90));

            var config = Path.Combine(directory, "disagg_config.yaml");
            File.WriteAllText(config, Topology.Config(RouterPort, [$"{ctx}:{ContextPort}"], [$"{gen}:{GenerationPort}"]).Replace("hostname: 127.0.0.1", $"hostname: {rtr}", StringComparison.Ordinal));
            var router = net.Start("rtr", "router", directory, "disaggregated", "-c", config, "-t", "60");
            processes.Add(router);
            var routerUri = new Uri($"http://{rtr}:{RouterPort}/");
            await router.WaitHealthyAsync(routerSide, new Uri(routerUri, "health"), TimeSpan.FromSeconds(90));

            // The context server advertises its veth address for the KV transfer, whatever it was bound to.
            var info = JsonNode.Parse(await routerSide.GetStringAsync(new Uri(contextUri, "server_info"), TestContext.Current.CancellationToken))!;
            Assert.StartsWith($"{ctx}:", info["kv_transfer_endpoint"]!.GetValue<string>(), StringComparison.Ordinal);

            foreach (var chat in new[] { false, true })
            {
                foreach (var stream in new[] { false, true })
                {
                    foreach (var prompt in Prompts)
                    {
                        var expected = await AskAsync(local, singleUri, chat, prompt, stream);
                        var routed = await AskAsync(routerSide, routerUri, chat, prompt, stream);
                        Assert.True(expected == routed, $"chat={chat} stream={stream} prompt '{prompt}': expected {expected}, got {routed}\n{Logs()}\n--- router ---\n{router.Output}");
                    }
                }
            }

            // Every request crossed from the context namespace to the generation namespace as a KV transfer.
            var metrics = await routerSide.GetStringAsync(new Uri(generationUri, "metrics"), TestContext.Current.CancellationToken);
            Assert.True(Counter(metrics, "tandem_kv_transfers_total{result=\"ok\"}") >= Prompts.Length * 4, metrics);
            Assert.Equal(0, Counter(metrics, "tandem_kv_transfer_recomputed_total"));
            Assert.Equal(0, Counter(metrics, "tandem_kv_transfers_total{result=\"failed\"}"));
        }
        finally
        {
            foreach (var process in Enumerable.Reverse(processes))
            {
                await process.DisposeAsync();
            }

            if (net is not null)
            {
                await net.DisposeAsync();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    private static string[] Serve(string host, int port, string role) =>
        ["serve", Topology.Model, "--host", host, "--port", port.ToString(CultureInfo.InvariantCulture), "--server_role", role, "--kv_cache_memory", "64MiB", "--threads", "1"];

    /// <summary>A Prometheus sample's value; 0 when the series is absent (counters start unset).</summary>
    private static double Counter(string metrics, string series) =>
        metrics.Split('\n').Where(l => l.StartsWith(series + " ", StringComparison.Ordinal)).Select(l => double.Parse(l[(series.Length + 1)..], CultureInfo.InvariantCulture)).FirstOrDefault();

    /// <summary>One temperature-0 request of 24 tokens; the text (streamed or whole) and the finish reason.</summary>
    private static async Task<(string Text, string? Finish)> AskAsync(HttpClient http, Uri server, bool chat, string prompt, bool stream)
    {
        var body = new JsonObject { ["model"] = Topology.Model, ["max_tokens"] = 24, ["temperature"] = 0, ["stream"] = stream };
        if (chat)
        {
            body["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt });
        }
        else
        {
            body["prompt"] = prompt;
        }

        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(server, chat ? "v1/chat/completions" : "v1/completions"), content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{server} answered {(int)response.StatusCode}: {text}");
        if (!stream)
        {
            var choice = JsonNode.Parse(text)!["choices"]![0]!;
            return ((chat ? choice["message"]!["content"] : choice["text"])!.GetValue<string>(), choice["finish_reason"]?.GetValue<string>());
        }

        var streamed = new StringBuilder();
        string? finish = null;
        var done = false;
        foreach (var line in text.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => l["data: ".Length..].TrimEnd('\r')))
        {
            if (line == "[DONE]")
            {
                done = true;
                break;
            }

            if (JsonNode.Parse(line)!["choices"] is JsonArray { Count: > 0 } choices)
            {
                streamed.Append((chat ? choices[0]!["delta"]?["content"] : choices[0]!["text"])?.GetValue<string>());
                finish = choices[0]!["finish_reason"]?.GetValue<string>() ?? finish;
            }
        }

        Assert.True(done, $"the stream from {server} ended without [DONE]: {text}");
        return (streamed.ToString(), finish);
    }
}
