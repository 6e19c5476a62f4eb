using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tandem.Router.Forwarding;
using Tandem.Router.State;

namespace Tandem.Router.Routing;

/// <summary>
/// Feeds a <see cref="KvCacheAwarePolicy"/>: when a server finishes a request, <c>POST /kv_cache_events</c> to it (drains
/// the worker's events) and applies them. One poll per server at a time; finishes that arrive meanwhile make one more
/// poll after it. A worker that fails or answers garbage is logged (once until it answers again) and polled again on its
/// next finish; its table keeps what it had.
/// </summary>
internal sealed class KvEventsPoller(KvCacheAwarePolicy policy, HttpClient http, TimeProvider time, TimeSpan timeout, ILogger logger)
{
    public const string Path = "kv_cache_events";

    private readonly Dictionary<UpstreamServer, PollState> _servers = [];
    private readonly Lock _lock = new();

    /// <summary>Polls done so far (for tests and logs).</summary>
    public long Polls => Interlocked.Read(ref _polls);

    private long _polls;

    /// <summary>Asks for a poll of <paramref name="server"/>; returns at once.</summary>
    public void Request(UpstreamServer server)
    {
        lock (_lock)
        {
            var s = _servers.TryGetValue(server, out var existing) ? existing : _servers[server] = new PollState();
            if (s.Running)
            {
                s.Again = true;
                return;
            }

            s.Running = true;
        }

        _ = Task.Run(() => RunAsync(server));
    }

    /// <summary>Polls <paramref name="server"/> now and waits for it (the first poll at start, and tests).</summary>
    public async Task PollAsync(UpstreamServer server, CancellationToken cancellationToken)
    {
        using var expiry = new CancellationTokenSource(timeout, time);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, expiry.Token);
        string? problem = null;
        try
        {
            using var response = await http.PostAsync(new Uri(server.Url, Path), null, bound.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(bound.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                problem = $"answered {(int)response.StatusCode} {response.ReasonPhrase}";
            }
            else
            {
                using var json = JsonDocument.Parse(body);
                if (json.RootElement.ValueKind != JsonValueKind.Array)
                {
                    problem = "did not answer a JSON array";
                }
                else
                {
                    var changed = policy.Apply(server, json.RootElement);
                    var count = json.RootElement.GetArrayLength();
                    RouterLog.KvEventsApplied(logger, server.Name, count, changed);
                }
            }
        }
        catch (OperationCanceledException) when (expiry.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            problem = $"no answer within {timeout.TotalSeconds:0.###} s";
        }
        catch (HttpRequestException e)
        {
            problem = UpstreamClient.Reason(e);
        }
        catch (JsonException)
        {
            problem = "answered malformed JSON";
        }
        catch (ObjectDisposedException)
        {
            return; // the router is shutting down
        }

        Interlocked.Increment(ref _polls);
        lock (_lock)
        {
            var s = _servers.TryGetValue(server, out var existing) ? existing : _servers[server] = new PollState();
            var first = problem is not null && !s.Failing;
            s.Failing = problem is not null;
            if (!first)
            {
                return;
            }
        }

        RouterLog.KvEventsFailed(logger, server.Name, problem!);
    }

    private async Task RunAsync(UpstreamServer server)
    {
        while (true)
        {
            await PollAsync(server, CancellationToken.None).ConfigureAwait(false);
            lock (_lock)
            {
                var s = _servers[server];
                if (!s.Again)
                {
                    s.Running = false;
                    return;
                }

                s.Again = false;
            }
        }
    }

    private sealed class PollState
    {
        public bool Running { get; set; }

        public bool Again { get; set; }

        public bool Failing { get; set; }
    }
}
