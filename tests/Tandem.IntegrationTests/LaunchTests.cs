using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tandem.IntegrationTests;

/// <summary>
/// The two launchers against one aggregated <c>tandem serve</c>: <c>tandem up</c> (workers and router as its children)
/// and <c>mpirun -n 3 tandem disaggregated_mpi_worker</c> (then the router and <c>tandem client</c>). Both must answer
/// token for token as the single server, and SIGTERM must leave no process and no open port behind.
/// </summary>
public sealed class LaunchTests : IAsyncDisposable
{
    private static readonly string[] Prompts = ["Once upon a time", "The little dog wanted to", "Lily and Ben went to the park. They"];

    private readonly string _directory = Directory.CreateTempSubdirectory("tandem-launch-").FullName;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(120) };
    private readonly List<Launched> _processes = [];
    private readonly List<TandemProcess> _tandems = [];

    [Fact]
    public async Task Up_starts_every_server_answers_as_one_server_and_sigterm_stops_every_child()
    {
        var (configPath, ports) = WriteConfig();
        var up = Start("up", "dotnet", Tandem("up", "-c", configPath, "-t", "170"));
        await up.WaitForLineAsync("[up] ready:", TimeSpan.FromSeconds(180));
        Assert.Contains($"[up] endpoint: http://127.0.0.1:{ports[^1]}/", up.Output, StringComparison.Ordinal);
        Assert.Contains($"[ctx:{ports[0]}] ", up.Output, StringComparison.Ordinal);
        Assert.Contains($"[gen:{ports[2]}] ", up.Output, StringComparison.Ordinal);

        var single = await StartSingleServerAsync();
        var router = new Uri($"http://127.0.0.1:{ports[^1]}/");
        foreach (var prompt in Prompts)
        {
            Assert.Equal(await CompleteAsync(single, prompt), await CompleteAsync(router, prompt));
        }

        var children = ChildrenOf(up.Id);
        Assert.Equal(4, children.Count);
        Terminate(up.Id);
        Assert.True(await up.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, up.Output);
        Assert.Contains("[up] every child has exited", up.Output, StringComparison.Ordinal);
        Assert.All(children, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"child {pid} still runs:\n{up.Output}"));
        await AssertClosedAsync(ports);
    }

    [Fact]
    public async Task Mpirun_starts_one_server_per_rank_and_the_client_gets_one_servers_answers()
    {
        var mpirun = FindOnPath("mpirun");
        if (mpirun is null)
        {
            Assert.Skip("mpirun is not installed (Debian: apt-get install -y mpich)");
        }

        var (configPath, ports) = WriteConfig();
        List<string> arguments = ["-n", "3"];
        if (RunCapture(mpirun, "--version").Contains("Open MPI", StringComparison.Ordinal))
        {
            arguments.AddRange(["--allow-run-as-root", "--oversubscribe"]);
        }

        var world = Start("mpirun", mpirun, [.. arguments, "dotnet", .. Tandem("disaggregated_mpi_worker", "-c", configPath)]);
        foreach (var port in ports[..3])
        {
            await WaitHealthyAsync(world, new Uri($"http://127.0.0.1:{port}/health"));
        }

        Assert.Contains("rank 2: runs generation 127.0.0.1:", world.Output, StringComparison.Ordinal);
        var router = TandemProcess.Start("router", _directory, "disaggregated", "-c", configPath, "-t", "60");
        _tandems.Add(router);
        await router.WaitHealthyAsync(_http, new Uri($"http://127.0.0.1:{ports[^1]}/health"), TimeSpan.FromSeconds(90));

        var promptsFile = Path.Combine(_directory, "prompts.json");
        var outputFile = Path.Combine(_directory, "output.json");
        await File.WriteAllTextAsync(promptsFile, JsonSerializer.Serialize(Prompts), TestContext.Current.CancellationToken);
        var client = TandemProcess.Start("client", _directory, "client", "-c", configPath, "-p", promptsFile, "--max-tokens", "20", "-o", outputFile);
        _tandems.Add(client);
        Assert.True(await client.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, client.Output);

        var single = await StartSingleServerAsync();
        var answers = JsonSerializer.Deserialize<string[]>(await File.ReadAllTextAsync(outputFile, TestContext.Current.CancellationToken))!;
        for (var i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(await CompleteAsync(single, Prompts[i]), answers[i]);
        }

        Terminate(world.Id);
        await world.WaitForExitAsync(TimeSpan.FromSeconds(60));
        await AssertClosedAsync(ports[..3]);
        Assert.Empty(RunCapture("pgrep", "-f", $"disaggregated_mpi_worker -c {configPath}").Trim());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        foreach (var process in _tandems)
        {
            await process.DisposeAsync();
        }

        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Two context servers, one generation server, then the router: four free ports.</summary>
    private (string Path, int[] Ports) WriteConfig()
    {
        var ports = Enumerable.Range(0, 4).Select(_ => FreePorts.Next()).ToArray();
        var yaml = new StringBuilder()
            .AppendLine("hostname: 127.0.0.1").AppendLine($"port: {ports[3]}").AppendLine($"model: {Topology.Model}").AppendLine("backend: pytorch")
            .AppendLine("threads: 1").AppendLine("kv_cache_memory: 64MiB")
            .AppendLine("context_servers:").AppendLine("  num_instances: 2").AppendLine("  tensor_parallel_size: 1").AppendLine("  pipeline_parallel_size: 1")
            .AppendLine("  cache_transceiver_config:").AppendLine("    backend: DEFAULT")
            .AppendLine("  urls:").AppendLine($"    - \"127.0.0.1:{ports[0]}\"").AppendLine($"    - \"127.0.0.1:{ports[1]}\"")
            .AppendLine("generation_servers:").AppendLine("  num_instances: 1")
            .AppendLine("  urls:").AppendLine($"    - \"127.0.0.1:{ports[2]}\"");
        var path = Path.Combine(_directory, "disagg_config.yaml");
        File.WriteAllText(path, yaml.ToString());
        return (path, ports);
    }

    private async Task<Uri> StartSingleServerAsync()
    {
        var single = TandemProcess.Start("single", _directory, "serve", Topology.Model, "--host", "127.0.0.1", "--port", "0", "--kv_cache_memory", "64MiB", "--threads", "1");
        _tandems.Add(single);
        var url = await single.WaitReadyAsync(TimeSpan.FromSeconds(90));
        await single.WaitHealthyAsync(_http, new Uri(url, "health"), TimeSpan.FromSeconds(30));
        return url;
    }

    private async Task<string> CompleteAsync(Uri server, string prompt)
    {
        var body = new JsonObject { ["model"] = Topology.Model, ["prompt"] = prompt, ["max_tokens"] = 20, ["temperature"] = 0 };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri(server, "v1/completions"), content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{server} answered {(int)response.StatusCode}: {text}\n{Logs}");
        return JsonNode.Parse(text)!["choices"]![0]!["text"]!.GetValue<string>();
    }

    private async Task WaitHealthyAsync(Launched process, Uri health)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(120))
        {
            Assert.False(process.HasExited, $"{process.Name} exited before {health} was healthy:\n{process.Output}");
            try
            {
                using var response = await _http.GetAsync(health);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        Assert.Fail($"{health} was not healthy within 120 s:\n{process.Output}");
    }

    private string Logs => string.Join("\n", _processes.Select(p => $"--- {p.Name} ---\n{p.Output}"));

    private static async Task AssertClosedAsync(IEnumerable<int> ports)
    {
        foreach (var port in ports)
        {
            using var client = new TcpClient();
            var refused = false;
            try
            {
                await client.ConnectAsync("127.0.0.1", port);
            }
            catch (SocketException)
            {
                refused = true;
            }

            Assert.True(refused, $"port {port} still accepts connections");
        }
    }

    private static string[] Tandem(params string[] arguments) => [Path.Combine(AppContext.BaseDirectory, "tandem.dll"), .. arguments];

    private Launched Start(string name, string fileName, IReadOnlyList<string> arguments)
    {
        var launched = Launched.Start(name, fileName, arguments, _directory);
        _processes.Add(launched);
        return launched;
    }

    /// <summary>SIGTERM, as a service manager or <c>kill</c> sends it (<see cref="Process.Kill()"/> sends SIGKILL).</summary>
    private static void Terminate(int pid) => RunCapture("kill", "-TERM", pid.ToString());

    private static List<int> ChildrenOf(int pid) =>
        [.. RunCapture("pgrep", "-P", pid.ToString()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static string RunCapture(string fileName, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    /// <summary>A process that is not <c>tandem</c> itself (or whose pid the test needs), its output kept; killed with its tree on dispose.</summary>
    private sealed class Launched : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private Launched(Process process, string name) => (_process, Name) = (process, name);

        public string Name { get; }

        public int Id => _process.Id;

        public bool HasExited => _process.HasExited;

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static Launched Start(string name, string fileName, IReadOnlyList<string> arguments, string directory)
        {
            var info = new ProcessStartInfo(fileName) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            var launched = new Launched(new Process { StartInfo = info }, name);
            launched._process.OutputDataReceived += (_, e) => launched.Append(e.Data);
            launched._process.ErrorDataReceived += (_, e) => launched.Append(e.Data);
            launched._process.Start();
            launched._process.BeginOutputReadLine();
            launched._process.BeginErrorReadLine();
            return launched;
        }

        public async Task WaitForLineAsync(string text, TimeSpan timeout)
        {
            var watch = Stopwatch.StartNew();
            while (!Output.Contains(text, StringComparison.Ordinal))
            {
                Assert.False(_process.HasExited, $"{Name} exited with {(_process.HasExited ? _process.ExitCode : 0)} before '{text}':\n{Output}");
                Assert.True(watch.Elapsed < timeout, $"{Name} printed no '{text}' within {timeout.TotalSeconds} s:\n{Output}");
                await Task.Delay(100);
            }
        }

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(15_000);
            }

            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (_output)
                {
                    _output.AppendLine(line);
                }
            }
        }
    }
}
