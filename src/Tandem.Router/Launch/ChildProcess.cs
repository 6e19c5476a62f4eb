using System.Diagnostics;

namespace Tandem.Router.Launch;

/// <summary>
/// One child of <c>tandem up</c> (a worker or the router), restartable.
/// Lifecycle: <see cref="Start"/> runs <c>tandem ARGS</c> with stdout and stderr read line by line, each line written
/// with the child's label and kept in a short tail → <see cref="Exited"/> completes with the exit code when it ends →
/// <see cref="Start"/> again for a restart → <see cref="StopAsync"/> sends SIGTERM, waits for the grace period, then
/// kills the process tree, and always waits for the exit.
/// </summary>
internal sealed class ChildProcess(string label, SelfInvocation self, IReadOnlyList<string> arguments, Uri health, LaunchOutput output) : IDisposable
{
    private const int TailLines = 20;

    private readonly Queue<string> _tail = new();
    private Process? _process;

    public string Label => label;

    public Uri Health => health;

    /// <summary>The exit code of the current run; never completes before <see cref="Start"/>.</summary>
    public Task<int> Exited { get; private set; } = new TaskCompletionSource<int>().Task;

    /// <summary>The last lines the child wrote, oldest first.</summary>
    public IReadOnlyList<string> LastLines
    {
        get
        {
            lock (_tail)
            {
                return [.. _tail];
            }
        }
    }

    public void Start()
    {
        var info = new ProcessStartInfo(self.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = false, UseShellExecute = false };
        foreach (var argument in self.LeadingArguments.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        _process?.Dispose();
        lock (_tail)
        {
            _tail.Clear();
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Exited = WaitForExitAsync(process);
    }

    /// <summary>SIGTERM, then SIGKILL (whole tree) after <paramref name="grace"/>; returns once the process has exited.</summary>
    public async Task StopAsync(TimeSpan grace, TimeProvider time)
    {
        if (_process is not { } process || Exited.IsCompleted)
        {
            return;
        }

        try
        {
            UnixSignal.Terminate(process);
            using var timeout = new CancellationTokenSource(grace, time);
            await Exited.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            output.Line("up", $"{label} did not stop within {grace.TotalSeconds:0} s of SIGTERM; killing it");
            process.Kill(entireProcessTree: true);
            await Exited.ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the signal.
        }
    }

    public void Dispose() => _process?.Dispose();

    private static async Task<int> WaitForExitAsync(Process process)
    {
        await process.WaitForExitAsync().ConfigureAwait(false);
        return process.ExitCode;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            if (_tail.Count == TailLines)
            {
                _tail.Dequeue();
            }

            _tail.Enqueue(line);
        }

        output.Line(label, line);
    }
}
