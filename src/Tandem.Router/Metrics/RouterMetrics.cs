using Prometheus;

namespace Tandem.Router.Metrics;

/// <summary>
/// The router's Prometheus metrics, in a registry of its own (several routers may share a process in tests): requests by
/// outcome, each leg's latency, upstream errors by server; plus the leg counters of the periodic summary line.
/// </summary>
internal sealed class RouterMetrics
{
    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly Counter _requests;
    private readonly Histogram _legDuration;
    private readonly Counter _upstreamErrors;
    private readonly Gauge _active;
    private readonly Counter _kvReleases;
    private long _contextStarted;
    private long _contextCompleted;
    private long _generationStarted;
    private long _generationCompleted;

    public RouterMetrics()
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        _requests = factory.CreateCounter("tandem_router_requests_total", "Client requests by outcome (completed, finished_at_context, client_error, upstream_error, timeout, unavailable, cancelled).", "outcome");
        _legDuration = factory.CreateHistogram("tandem_router_leg_duration_seconds", "Time of one upstream leg, from sending to the last byte relayed.", new HistogramConfiguration { LabelNames = ["leg"], Buckets = LatencyBuckets });
        _upstreamErrors = factory.CreateCounter("tandem_router_upstream_errors_total", "Failed upstream calls by server and reason (connection, timeout, bad_response, status).", "server", "reason");
        _kvReleases = factory.CreateCounter(
            "tandem_router_kv_releases_total",
            "Context servers asked to free a request's held KV blocks because its generation leg did not complete, by result (released, not_held: already transferred or expired, failed: no answer, unsupported: the server has no /kv_cache_release).",
            "result");
        _active = factory.CreateGauge("tandem_router_requests_active", "Client requests in progress.");
    }

    public long ActiveRequests => (long)_active.Value;

    public (long Started, long Completed) ContextLegs => (Interlocked.Read(ref _contextStarted), Interlocked.Read(ref _contextCompleted));

    public (long Started, long Completed) GenerationLegs => (Interlocked.Read(ref _generationStarted), Interlocked.Read(ref _generationCompleted));

    public void RequestStarted() => _active.Inc();

    public void RequestFinished(string outcome)
    {
        _active.Dec();
        _requests.WithLabels(outcome).Inc();
    }

    public void LegStarted(string leg) => Interlocked.Increment(ref leg == "context" ? ref _contextStarted : ref _generationStarted);

    public void LegCompleted(string leg, TimeSpan duration)
    {
        Interlocked.Increment(ref leg == "context" ? ref _contextCompleted : ref _generationCompleted);
        _legDuration.WithLabels(leg).Observe(duration.TotalSeconds);
    }

    public void KvRelease(string result) => _kvReleases.WithLabels(result).Inc();

    public void UpstreamError(string server, string reason) => _upstreamErrors.WithLabels(server, reason).Inc();

    public Task WriteAsync(Stream destination, CancellationToken cancellationToken) =>
        _registry.CollectAndExportAsTextAsync(destination, cancellationToken);
}
