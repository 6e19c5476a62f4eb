using System.Globalization;
using Tandem.Router.Configuration;

namespace Tandem.Router.Launch;

/// <summary>
/// <c>tandem up</c>: a whole deployment on this machine, from the disaggregated YAML alone.
/// Lifecycle: write each instance's worker settings to a temporary <c>--config</c> file → start every worker of the
/// plan, then the router, as children of this same executable → poll each one's <c>GET /health</c> until all answer
/// 200 (a child that exits first, or the start timeout, fails startup) → print the endpoint and a ready line →
/// supervise: a child that exits is reported with its exit code and last lines, then restarted with backoff
/// (<see cref="UpOptions.Restart"/>) or everything stops → on cancellation (Ctrl-C, SIGTERM) or failure, SIGTERM to
/// every child, wait for each (killing any past the grace period), delete the temporary files.
/// Exit codes: 0 after a requested stop, 1 when startup failed or a child died without <c>--restart</c>.
/// </summary>
public sealed class LocalDeployment : IDisposable
{
    private readonly RouterConfig _config;
    private readonly InstancePlan _plan;
    private readonly UpOptions _options;
    private readonly LaunchOutput _output;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly List<ChildProcess> _children = [];
    private readonly string _directory;

    public LocalDeployment(RouterConfig config, InstancePlan plan, UpOptions options, LaunchOutput output)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        (_config, _plan, _options, _output) = (config, plan, options, output);
        _directory = Directory.CreateTempSubdirectory("tandem-up-").FullName;
    }

    /// <summary>The router's address as clients use it.</summary>
    public Uri Endpoint => new($"http://{_config.Hostname}:{_config.Port}/");

    /// <summary>Runs the deployment until <paramref name="cancellationToken"/> or a failure; the process stays alive until every child has exited.</summary>
    public static Task<int> RunAsync(RouterConfig config, InstancePlan plan, UpOptions options, LaunchOutput output, CancellationToken cancellationToken) =>
        ExitGuard.Hold(RunOwnedAsync(config, plan, options, output, cancellationToken));

    /// <summary>Runs the deployment until <paramref name="cancellationToken"/> or a failure; every child has exited when it returns.</summary>

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            if (await PortsInUseAsync().ConfigureAwait(false) is { } busy)
            {
                _output.Error($"startup failed: {busy}");
                return 1;
            }

            StartAll();
            var failure = await WaitHealthyAsync(stopping.Token).ConfigureAwait(false);
            if (failure is not null)
            {
                _output.Error($"startup failed: {failure}");
                return 1;
            }

            if (stopping.IsCancellationRequested)
            {
                return 0;
            }

            _output.Line("up", $"endpoint: {Endpoint} (OpenAI-compatible: /v1/completions, /v1/chat/completions, /v1/models, /health)");
            _output.Line("up", $"ready: {_plan.ContextCount} context and {_plan.GenerationCount} generation server(s) and the router are healthy; Ctrl-C stops them all");
            var supervisors = _children.Select(c => SuperviseAsync(c, stopping.Token)).ToList();
            var first = await Task.WhenAny(supervisors).ConfigureAwait(false);
            var reason = await first.ConfigureAwait(false);
            await stopping.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(supervisors).ConfigureAwait(false);
            if (reason is not null)
            {
                _output.Error($"{reason}; stopping the deployment");
                return 1;
            }

            return 0;
        }
        finally
        {
            await StopAllAsync().ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        foreach (var child in _children)
        {
            child.Dispose();
        }

        _http.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task<int> RunOwnedAsync(RouterConfig config, InstancePlan plan, UpOptions options, LaunchOutput output, CancellationToken cancellationToken)
    {
        using var deployment = new LocalDeployment(config, plan, options, output);
        return await deployment.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    private void StartAll()
    {
        foreach (var instance in _plan.Instances)
        {
            string? configPath = null;
            if (instance.ConfigYaml.Length > 0)
            {
                configPath = Path.Combine(_directory, $"{instance.Role.ServerRole()}-{instance.Port}.yaml");
                File.WriteAllText(configPath, instance.ConfigYaml);
            }

            _children.Add(new ChildProcess(instance.Label, _options.Self, ["serve", .. instance.ServeArguments(configPath, _options.LogLevel)], Probe(instance.Health), _output));
        }

        var seconds = _options.StartTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        List<string> routerArguments = ["disaggregated", "-c", _options.ConfigPath, "-t", seconds];
        if (_options.LogLevel is not null)
        {
            routerArguments.AddRange(["-l", _options.LogLevel]);
        }

        _children.Add(new ChildProcess($"router:{_config.Port}", _options.Self, routerArguments, Probe(new Uri(Endpoint, "health")), _output));
        _output.Line("up", $"starting {_plan.Instances.Count} worker(s) and the router from {_options.ConfigPath}");
        foreach (var child in _children)
        {
            child.Start();
        }
    }

    /// <summary>Null when every child answers 200 (or on cancellation), else why startup failed.</summary>
    private async Task<string?> WaitHealthyAsync(CancellationToken cancellationToken)
    {
        var time = _options.Time;
        var started = time.GetTimestamp();
        var waiting = _children.ToList();
        while (waiting.Count > 0)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            if (waiting.FirstOrDefault(c => c.Exited.IsCompleted) is { } dead)
            {
                return $"{dead.Label} exited with code {await dead.Exited.ConfigureAwait(false)} before it was healthy{Tail(dead)}";
            }

            foreach (var child in waiting.ToList())
            {
                if (await IsHealthyAsync(child.Health, cancellationToken).ConfigureAwait(false))
                {
                    _output.Line("up", $"{child.Label} is healthy");
                    waiting.Remove(child);
                }
            }

            if (waiting.Count > 0 && time.GetElapsedTime(started) > _options.StartTimeout)
            {
                return $"not healthy within {_options.StartTimeout.TotalSeconds:0} s (-t): {string.Join(", ", waiting.Select(c => c.Label))}";
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>Watches one child after startup; returns null when stopping, else why the deployment must stop.</summary>
    private async Task<string?> SuperviseAsync(ChildProcess child, CancellationToken stopping)
    {
        var time = _options.Time;
        var restarts = 0;
        var since = time.GetTimestamp();
        while (true)
        {
            int code;
            try
            {
                code = await child.Exited.WaitAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            _output.Error($"{child.Label} exited with code {code}{Tail(child)}");
            if (!_options.Restart)
            {
                return $"{child.Label} exited with code {code}";
            }

            restarts = time.GetElapsedTime(since) >= _options.StableRun ? 1 : restarts + 1;
            var delay = RestartBackoff.Delay(restarts, _options.FirstRestartDelay, _options.MaxRestartDelay);
            _output.Line("up", $"restarting {child.Label} in {delay.TotalSeconds:0.#} s (restart {restarts} in a row)");
            try
            {
                await Task.Delay(delay, time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            child.Start();
            since = time.GetTimestamp();
        }
    }

    private async Task StopAllAsync()
    {
        var running = _children.Where(c => !c.Exited.IsCompleted).ToList();
        if (running.Count == 0)
        {
            return;
        }

        _output.Line("up", $"stopping {string.Join(", ", running.Select(c => c.Label))}");
        await Task.WhenAll(running.Select(c => c.StopAsync(_options.StopGrace, _options.Time))).ConfigureAwait(false);
        _output.Line("up", "every child has exited");
    }

    /// <summary>Null when no planned address answers a connection, else which ones do (another server, or an earlier deployment still running).</summary>
    private async Task<string?> PortsInUseAsync()
    {
        var addresses = _plan.Instances.Select(i => (i.Label, Url: Probe(i.Url))).Append(($"router:{_config.Port}", Probe(Endpoint)));
        var busy = new List<string>();
        foreach (var (label, url) in addresses)
        {
            using var client = new System.Net.Sockets.TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1), _options.Time);
            try
            {
                await client.ConnectAsync(url.IdnHost, url.Port, timeout.Token).ConfigureAwait(false);
                busy.Add($"{url.Authority} ({label})");
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException)
            {
            }
        }

        return busy.Count == 0 ? null : $"already in use: {string.Join(", ", busy)}; stop what listens there or change the config's urls/port";
    }

    private async Task<bool> IsHealthyAsync(Uri health, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(health, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>A wildcard bind address is probed on loopback.</summary>
    private static Uri Probe(Uri url) => url.IdnHost is "0.0.0.0" or "::" ? new UriBuilder(url) { Host = url.IdnHost == "::" ? "[::1]" : "127.0.0.1" }.Uri : url;

    private static string Tail(ChildProcess child) =>
        child.LastLines.Count == 0 ? " (it wrote nothing)" : "; its last lines:\n" + string.Join("\n", child.LastLines.Select(l => "    " + l));
}
