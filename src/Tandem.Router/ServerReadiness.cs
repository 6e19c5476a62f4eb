using Microsoft.Extensions.Logging;
using Tandem.Router.Forwarding;

namespace Tandem.Router;

/// <summary>
/// Startup's wait for the workers: polls each server's <c>/health</c> until it answers 200 (backing off from 100 ms to
/// 3 s, TensorRT-LLM's poll interval), logging the ones still awaited, for at most <c>--server_start_timeout</c>.
/// </summary>
internal static class ServerReadiness
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(3);

    /// <summary>Null when every server is healthy; else the ones that were not by the deadline, with why.</summary>
    public static async Task<string?> WaitAsync(RouterState state, ILogger logger, CancellationToken cancellationToken)
    {
        var pending = state.Cluster.All.ToList();
        var start = state.Time.GetTimestamp();
        var delay = FirstDelay;
        var lastLogged = "";
        while (true)
        {
            var probes = await HealthProbe.ProbeAsync(state.Http, pending, state.Options.HealthProbeTimeout, cancellationToken).ConfigureAwait(false);
            var failing = probes.Where(p => p.Failure is not null).ToList();
            if (failing.Count == 0)
            {
                RouterLog.AllHealthy(logger, state.Cluster.All.Count);
                return null;
            }

            pending = failing.Select(p => p.Server).ToList();
            var list = string.Join(", ", failing.Select(p => $"{p.Server.Name} ({p.Failure})"));
            if (state.Time.GetElapsedTime(start) >= state.Options.ServerStartTimeout)
            {
                return $"{failing.Count} server(s) did not become healthy within {state.Options.ServerStartTimeout.TotalSeconds:0.###} s: {list}";
            }

            var names = string.Join(", ", pending.Select(s => s.Name));
            if (names != lastLogged || delay >= MaxDelay)
            {
                RouterLog.Waiting(logger, failing.Count, list);
                lastLogged = names;
            }

            await Task.Delay(delay, state.Time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
        }
    }
}
