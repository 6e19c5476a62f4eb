using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Tandem.IntegrationTests;

/// <summary>
/// A real <c>tandem</c> process (from tandem.dll beside the tests), its output kept for failure messages.
/// Disposing kills it and its children and waits for the exit.
/// </summary>
internal sealed partial class TandemProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TandemProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

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

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static TandemProcess Start(string name, string workingDirectory, params string[] arguments) =>
        StartCommand(name, workingDirectory, ["dotnet", Path.Combine(AppContext.BaseDirectory, "tandem.dll"), .. arguments]);

    /// <summary>Starts any command line (e.g. <c>ip netns exec NS dotnet tandem.dll ...</c>) with its output kept.</summary>
    public static TandemProcess StartCommand(string name, string workingDirectory, IReadOnlyList<string> command)
    {
        var info = new ProcessStartInfo(command[0]) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var wrapper = new TandemProcess(process, name);
        process.OutputDataReceived += (_, e) => wrapper.Append(e.Data);
        process.ErrorDataReceived += (_, e) => wrapper.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    /// <summary>
    /// Waits (bounded) for the server's "ready at URL" log line and returns that URL: the address a server
    /// started with <c>--port 0</c> (or <c>port: 0</c>) was given by the OS, so no other process can hold it.
    /// </summary>
    public async Task<Uri> WaitReadyAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (ReadyAt().Match(Output) is { Success: true } match)
            {
                return new Uri(match.Groups[1].Value + "/");
            }

            if (_process.HasExited)
            {
                Assert.Fail($"{Name} exited with {_process.ExitCode} before it was ready:\n{Output}");
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{Name} did not log its address within {timeout.TotalSeconds} s:\n{Output}");
        return null!;
    }

    /// <summary>Polls GET url until it answers 200 (bounded), failing with the process output otherwise.</summary>
    public async Task WaitHealthyAsync(HttpClient http, Uri health, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                Assert.Fail($"{Name} exited with {_process.ExitCode} before it was healthy:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(health);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{Name} was not healthy within {timeout.TotalSeconds} s:\n{Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL to it and its children; returns once it has exited.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(cts.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    [GeneratedRegex(@"ready at (http://[^\s/]+:\d+)")]
    private static partial Regex ReadyAt();
}
