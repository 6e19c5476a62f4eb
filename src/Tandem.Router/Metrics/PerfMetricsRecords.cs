namespace Tandem.Router.Metrics;

/// <summary>
/// What the router itself saw of one request that ran both legs (reference §1.2 step 14): the servers, the context
/// leg's <c>ctx_request_id</c>, and its own arrival and first-token times in steady-clock seconds.
/// </summary>
internal sealed record PerfRecord(string ContextServer, string GenerationServer, long CtxRequestId, double ArrivalTime, double FirstTokenTime);

/// <summary>
/// The router's <see cref="PerfRecord"/>s waiting for their workers' metrics, oldest first, at most
/// <c>perf_metrics_max_requests</c> of them (adding one more drops the oldest). Request handlers add; <c>/perf_metrics</c>
/// takes the ones it could join.
/// </summary>
internal sealed class PerfMetricsRecords
{
    private readonly Queue<PerfRecord> _records = new();
    private readonly Lock _lock = new();

    public PerfMetricsRecords(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _records.Count;
            }
        }
    }

    public void Add(PerfRecord record)
    {
        lock (_lock)
        {
            _records.Enqueue(record);
            while (_records.Count > Capacity)
            {
                _records.Dequeue();
            }
        }
    }

    /// <summary>Offers every record, oldest first, to <paramref name="take"/>; those it declines stay, in order.</summary>
    public void TakeWhere(Func<PerfRecord, bool> take)
    {
        lock (_lock)
        {
            var count = _records.Count;
            for (var i = 0; i < count; i++)
            {
                var record = _records.Dequeue();
                if (!take(record))
                {
                    _records.Enqueue(record);
                }
            }
        }
    }
}
