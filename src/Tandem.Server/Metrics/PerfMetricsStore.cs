using Tandem.Engine.Execution;

namespace Tandem.Server.Metrics;

/// <summary>A finished request's moments as timestamps of the server's TimeProvider, kept until <c>GET /perf_metrics</c> drains them.</summary>
internal sealed record FinishedRequest(
    string RequestId,
    long? CtxRequestId,
    long ServerArrival,
    long ServerFirstToken,
    RequestMetrics Engine,
    long? KvBytes,
    long KvTransferStart,
    long KvTransferEnd);

/// <summary>
/// The last <c>perf_metrics_max_requests</c> finished requests (oldest dropped), drained by each
/// <c>GET /perf_metrics</c>, and the steady-clock offset the disaggregated server set. Timestamps turn
/// into seconds (plus the offset) when they are read, so an offset set later applies to them too.
/// </summary>
internal sealed class PerfMetricsStore(int capacity, TimeProvider time)
{
    private readonly Queue<FinishedRequest> _requests = new();
    private readonly Lock _lock = new();
    private double _offset;

    /// <summary>Whether requests are kept at all (return_perf_metrics and perf_metrics_max_requests &gt; 0).</summary>
    public bool Enabled => capacity > 0;

    public double Offset
    {
        get
        {
            lock (_lock)
            {
                return _offset;
            }
        }

        set
        {
            lock (_lock)
            {
                _offset = value;
            }
        }
    }

    /// <summary>Steady-clock seconds of the server's TimeProvider now (without the offset).</summary>
    public double Now() => Seconds(time.GetTimestamp());

    public void Add(FinishedRequest request)
    {
        if (!Enabled)
        {
            return;
        }

        lock (_lock)
        {
            if (_requests.Count == capacity)
            {
                _requests.Dequeue();
            }

            _requests.Enqueue(request);
        }
    }

    /// <summary>Every kept request, oldest first, in the wire shape; the store is empty afterwards.</summary>
    public List<PerfMetricsItem> Drain()
    {
        FinishedRequest[] drained;
        double offset;
        lock (_lock)
        {
            drained = [.. _requests];
            _requests.Clear();
            offset = _offset;
        }

        return [.. drained.Select(r => ToItem(r, offset))];
    }

    private PerfMetricsItem ToItem(FinishedRequest r, double offset)
    {
        double? At(long timestamp) => timestamp == 0 ? null : Seconds(timestamp) + offset;
        var engine = r.Engine;
        var timing = new TimingMetrics(
            Seconds(r.ServerArrival) + offset, At(engine.Arrival), At(engine.FirstScheduled), At(engine.FirstToken), At(r.ServerFirstToken), At(engine.LastToken))
        {
            KvCacheSize = r.KvBytes,
            KvCacheTransferStart = r.KvBytes is null ? null : At(r.KvTransferStart),
            KvCacheTransferEnd = r.KvBytes is null ? null : At(r.KvTransferEnd),
        };
        var blocks = new KvCacheMetrics(engine.AllocatedBlocks, engine.AllocatedBlocks - engine.ReusedBlocks, engine.ReusedBlocks, 0);
        return new PerfMetricsItem(r.RequestId, r.CtxRequestId, new RequestPerfMetrics(engine.FirstIteration, engine.LastIteration, timing, blocks));
    }

    private double Seconds(long timestamp) => timestamp / (double)time.TimestampFrequency;
}
