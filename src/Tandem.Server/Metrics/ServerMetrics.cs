using Prometheus;
using Tandem.Engine.Execution;

namespace Tandem.Server.Metrics;

/// <summary>
/// The worker's Prometheus metrics, in a registry of its own (several servers may share a process in tests).
/// Counters and histograms are updated as requests run; gauges are read from the engine at scrape time.
/// </summary>
internal sealed class ServerMetrics
{
    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly Counter _requests;
    private readonly Counter _promptTokens;
    private readonly Counter _generatedTokens;
    private readonly Gauge _running;
    private readonly Gauge _waiting;
    private readonly Gauge _kvUsed;
    private readonly Gauge _kvFree;
    private readonly Counter _kvTransfers;
    private readonly Counter _kvRecomputed;

    public ServerMetrics()
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(_registry);
        _requests = factory.CreateCounter("tandem_requests_total", "Requests by outcome (stop, length, not_finished, cancelled, rejected, error).", "outcome");
        _promptTokens = factory.CreateCounter("tandem_prompt_tokens_total", "Prompt tokens of finished requests.");
        _generatedTokens = factory.CreateCounter("tandem_generation_tokens_total", "Generated tokens of finished requests.");
        _running = factory.CreateGauge("tandem_requests_running", "Requests in the running batch.");
        _waiting = factory.CreateGauge("tandem_requests_waiting", "Requests waiting to be scheduled.");
        _kvUsed = factory.CreateGauge("tandem_kv_blocks_used", "KV cache blocks in use (running or held for transfer).");
        _kvFree = factory.CreateGauge("tandem_kv_blocks_free", "Free KV cache blocks.");
        _kvTransfers = factory.CreateCounter("tandem_kv_transfers_total", "KV cache pulls by a generation server, by result (ok, failed).", "result");
        _kvRecomputed = factory.CreateCounter("tandem_kv_transfer_recomputed_total", "Generation-only requests that recomputed their prompt because the KV transfer failed.");
        TimeToFirstToken = factory.CreateHistogram("tandem_time_to_first_token_seconds", "Time from arrival to the first generated token.", new HistogramConfiguration { Buckets = LatencyBuckets });
        InterTokenLatency = factory.CreateHistogram("tandem_inter_token_latency_seconds", "Time between consecutive generated tokens.", new HistogramConfiguration { Buckets = LatencyBuckets });
        EndToEndLatency = factory.CreateHistogram("tandem_e2e_request_latency_seconds", "Time from arrival to the last token.", new HistogramConfiguration { Buckets = LatencyBuckets });
    }

    public Histogram TimeToFirstToken { get; }

    public Histogram InterTokenLatency { get; }

    public Histogram EndToEndLatency { get; }

    public void RequestFinished(string outcome, int promptTokens, int generatedTokens)
    {
        _requests.WithLabels(outcome).Inc();
        _promptTokens.Inc(promptTokens);
        _generatedTokens.Inc(generatedTokens);
    }

    public void KvTransfer(string result) => _kvTransfers.WithLabels(result).Inc();

    public void KvRecomputed() => _kvRecomputed.Inc();

    public async Task WriteAsync(Stream destination, EngineStats stats, CancellationToken cancellationToken)
    {
        _running.Set(stats.RunningRequests);
        _waiting.Set(stats.WaitingRequests);
        _kvUsed.Set(stats.KvBlocksUsed);
        _kvFree.Set(stats.KvBlocksFree);
        await _registry.CollectAndExportAsTextAsync(destination, cancellationToken).ConfigureAwait(false);
    }
}
