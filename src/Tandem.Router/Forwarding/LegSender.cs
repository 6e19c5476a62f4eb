using Microsoft.Extensions.Logging;
using Tandem.Router.State;

namespace Tandem.Router.Forwarding;

/// <summary>
/// Sends one leg to a server of a section, chosen by its policy. A connection failure (nothing was sent to the client
/// yet) is retried up to <c>max_retries</c> times, each on a server not tried yet when there is one; the failed server is
/// skipped by later picks for <see cref="RouterOptions.FailureCooldown"/>. Other failures are answered at once.
/// </summary>
internal sealed class LegSender(RouterState state, ILogger logger)
{
    public async Task<(Leg? Leg, UpstreamFailure? Failure)> SendAsync(
        ServerSection section, string path, byte[] body, long promptWeight, UpstreamServer? avoid, CancellationToken aborted, IReadOnlyList<ulong>? blockHashes = null)
    {
        var tried = new HashSet<UpstreamServer>();
        var attempts = state.Config.MaxRetries + 1;
        UpstreamFailure? last = null;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            var server = section.Pick(promptWeight, state.Time.GetUtcNow(), tried, avoid, blockHashes);
            if (server is null)
            {
                tried.Clear();
                try
                {
                    await Task.Delay(state.Options.RetryDelay, state.Time, aborted).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return (null, new UpstreamFailure(UpstreamFailureKind.ClientGone, "the client went away"));
                }

                server = section.Pick(promptWeight, state.Time.GetUtcNow(), tried, avoid, blockHashes);
                if (server is null)
                {
                    break;
                }
            }

            state.Metrics.LegStarted(section.Role);
            var start = state.Time.GetTimestamp();
            var lease = server.Acquire(promptWeight);
            var (call, failure) = await state.Upstream.PostAsync(server, path, body, aborted).ConfigureAwait(false);
            if (call is not null)
            {
                var finished = server;
                return (new Leg(server, lease, call, start, () => section.Policy.Finished(finished)), null);
            }

            lease.Dispose();
            if (failure!.Kind == UpstreamFailureKind.ClientGone)
            {
                return (null, failure);
            }

            Record(server, failure);
            RouterLog.LegFailed(logger, section.Role, server.Name, failure.Message, attempt, attempts);
            if (failure.Kind != UpstreamFailureKind.Connection)
            {
                return (null, failure);
            }

            server.MarkUnavailable(state.Time.GetUtcNow() + state.Options.FailureCooldown);
            tried.Add(server);
            last = failure;
        }

        var message = last is null
            ? $"no {section.Role} server is available"
            : $"no {section.Role} server could be reached after {attempts} attempt(s); last: {last.Message}";
        return (null, new UpstreamFailure(UpstreamFailureKind.Connection, message));
    }

    public void Record(UpstreamServer server, UpstreamFailure failure)
    {
        server.RecordError(failure.Message);
        state.Metrics.UpstreamError(server.Name, failure.MetricReason);
    }
}
