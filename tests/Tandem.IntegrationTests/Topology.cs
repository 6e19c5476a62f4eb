using System.Text;
using System.Text.Json.Nodes;

namespace Tandem.IntegrationTests;

/// <summary>
/// Worker processes and a router started from one disagg_config.yaml, all on 127.0.0.1 with free ports,
/// plus helpers to call them. Every process is killed on dispose.
/// </summary>
internal sealed class Topology : IAsyncDisposable
{
    private readonly List<TandemProcess> _processes = [];

    private Topology(string directory) => Directory = directory;

    public string Directory { get; }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(120) };

    public Uri Router { get; private set; } = null!;

    public List<Uri> Workers { get; } = [];

    public string ConfigPath => Path.Combine(Directory, "disagg_config.yaml");

    public static string Model => SharedData.Require("models", "stories260K");

    /// <summary>Starts workers (each a role and whether it is listed as context and/or generation server) and the router.</summary>
    public static Task<Topology> StartAsync(params (string Role, bool Context, bool Generation)[] workers) => StartAsync(perfMetrics: false, workers);

    /// <summary>As <see cref="StartAsync(ValueTuple{string, bool, bool}[])"/>; with <paramref name="perfMetrics"/>, workers and router keep per-request perf metrics (100 requests).</summary>
    public static Task<Topology> StartAsync(bool perfMetrics, params (string Role, bool Context, bool Generation)[] workers) =>
        StartAsync(perfMetrics ? "return_perf_metrics: true\nperf_metrics_max_requests: 100\n" : null, perfMetrics ? "perf_metrics_max_requests: 100\n" : string.Empty, null, workers);

    /// <summary>
    /// As <see cref="StartAsync(ValueTuple{string, bool, bool}[])"/>, every worker given <paramref name="workerYaml"/> (when
    /// not null) as its <c>--config</c>, <paramref name="routerYaml"/> appended to the router's config and
    /// <paramref name="contextRouter"/> (when not null) as the context section's <c>router</c> block.
    /// </summary>
    public static async Task<Topology> StartAsync(string? workerYaml, string routerYaml, string? contextRouter, params (string Role, bool Context, bool Generation)[] workers)
    {
        var topology = new Topology(System.IO.Directory.CreateTempSubdirectory("tandem-topology-").FullName);
        try
        {
            var context = new List<string>();
            var generation = new List<string>();
            string[] workerConfig = [];
            if (workerYaml is not null)
            {
                var path = Path.Combine(topology.Directory, "worker.yaml");
                File.WriteAllText(path, workerYaml);
                workerConfig = ["--config", path];
            }

            // Every server takes port 0 and is read back from its "ready at" line: a port picked here and bound
            // seconds later by a starting process could be taken in between.
            var started = workers.Select(w => topology.Start(w.Role, ["serve", Model, "--host", "127.0.0.1", "--port", "0", "--server_role", w.Role, "--kv_cache_memory", "64MiB", "--threads", "1", .. workerConfig])).ToList();
            foreach (var ((_, isContext, isGeneration), process) in workers.Zip(started))
            {
                var worker = await process.WaitReadyAsync(TimeSpan.FromSeconds(90));
                await process.WaitHealthyAsync(topology.Http, new Uri(worker, "health"), TimeSpan.FromSeconds(30));
                topology.Workers.Add(worker);
                var url = worker.Authority;
                if (isContext)
                {
                    context.Add(url);
                }

                if (isGeneration)
                {
                    generation.Add(url);
                }
            }

            // The router starts on port 0; then the file names its real port, for `tandem client -c`.
            void WriteConfig(int routerPort) => File.WriteAllText(topology.ConfigPath, Config(routerPort, context, generation, contextRouter) + routerYaml);
            WriteConfig(0);
            var router = topology.Start("router", "disaggregated", "-c", topology.ConfigPath, "-t", "60");
            topology.Router = await router.WaitReadyAsync(TimeSpan.FromSeconds(90));
            await router.WaitHealthyAsync(topology.Http, new Uri(topology.Router, "health"), TimeSpan.FromSeconds(30));
            WriteConfig(topology.Router.Port);
            return topology;
        }
        catch
        {
            await topology.DisposeAsync();
            throw;
        }
    }

    public TandemProcess Start(string name, params string[] arguments)
    {
        var process = TandemProcess.Start(name, Directory, arguments);
        _processes.Add(process);
        return process;
    }

    public string Logs => string.Join("\n", _processes.Select(p => $"--- {p.Name} ---\n{p.Output}"));

    public static string Config(int routerPort, IReadOnlyList<string> context, IReadOnlyList<string> generation, string? contextRouter = null)
    {
        var yaml = new StringBuilder();
        yaml.AppendLine("hostname: 127.0.0.1").AppendLine($"port: {routerPort}").AppendLine($"model: {Model}").AppendLine("backend: pytorch");
        yaml.AppendLine("context_servers:").AppendLine($"  num_instances: {context.Count}").AppendLine("  urls:");
        foreach (var url in context)
        {
            yaml.AppendLine($"    - \"{url}\"");
        }

        if (contextRouter is not null)
        {
            yaml.AppendLine($"  router: {contextRouter}");
        }

        yaml.AppendLine("generation_servers:").AppendLine($"  num_instances: {generation.Count}").AppendLine("  urls:");
        foreach (var url in generation)
        {
            yaml.AppendLine($"    - \"{url}\"");
        }

        return yaml.ToString();
    }

    /// <summary>Sends one request; returns the text (streamed or whole), the finish reason and the completion token count.</summary>
    public async Task<(string Text, string? Finish, int CompletionTokens)> AskAsync(Uri server, bool chat, string prompt, int maxTokens, bool stream)
    {
        var body = new JsonObject { ["model"] = Model, ["max_tokens"] = maxTokens, ["temperature"] = 0, ["stream"] = stream };
        if (stream)
        {
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        if (chat)
        {
            body["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt });
        }
        else
        {
            body["prompt"] = prompt;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, chat ? "v1/chat/completions" : "v1/completions"))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            Assert.Fail($"{server} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}\n{Logs}");
        }

        if (!stream)
        {
            var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            var choice = json["choices"]![0]!;
            var text = chat ? choice["message"]!["content"]!.GetValue<string>() : choice["text"]!.GetValue<string>();
            return (text, choice["finish_reason"]?.GetValue<string>(), json["usage"]!["completion_tokens"]!.GetValue<int>());
        }

        var streamed = new StringBuilder();
        string? finish = null;
        var tokens = 0;
        var done = false;
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            if (item.Data == "[DONE]")
            {
                done = true;
                break;
            }

            var chunk = JsonNode.Parse(item.Data)!;
            tokens = chunk["usage"]?["completion_tokens"]?.GetValue<int>() ?? tokens;
            if (chunk["choices"] is JsonArray { Count: > 0 } choices)
            {
                var choice = choices[0]!;
                streamed.Append(chat ? choice["delta"]?["content"]?.GetValue<string>() : choice["text"]?.GetValue<string>());
                finish = choice["finish_reason"]?.GetValue<string>() ?? finish;
            }
        }

        Assert.True(done, "the stream ended without [DONE]");
        return (streamed.ToString(), finish, tokens);
    }

    /// <summary>Every worker idle with its whole KV pool free.</summary>
    public async Task AssertPoolsFullAsync()
    {
        foreach (var worker in Workers)
        {
            await AssertPoolFullAsync(worker);
        }
    }

    /// <summary>The worker idle (nothing running, waiting or held for a transfer) with its whole KV pool free, within 6 s.</summary>
    public async Task AssertPoolFullAsync(Uri worker)
    {
        JsonNode? info = null;
        for (var i = 0; i < 300; i++)
        {
            info = JsonNode.Parse(await Http.GetStringAsync(new Uri(worker, "server_info")))!;
            var load = info["load"]!;
            if (load["running"]!.GetValue<int>() + load["waiting"]!.GetValue<int>() + load["held_for_transfer"]!.GetValue<int>() == 0)
            {
                break;
            }

            await Task.Delay(20);
        }

        Assert.True(info!["kv_blocks"]!["total"]!.GetValue<int>() == info["kv_blocks"]!["free"]!.GetValue<int>(), $"{worker} still holds KV blocks: {info}");
    }

    /// <summary>Kills worker <paramref name="index"/> (in the order given to StartAsync) with SIGKILL and waits for it to be gone.</summary>
    public Task KillWorkerAsync(int index) => _processes[index].KillAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        Http.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
