using Tandem.Server.Metrics;

namespace Tandem.Server.Generation;

/// <summary>Observes one request's time to first token, inter-token latencies and end-to-end latency.</summary>
internal sealed class LatencyTracker
{
    private readonly ServerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly long _arrival;
    private long _last;

    public LatencyTracker(ServerMetrics metrics, TimeProvider time)
    {
        _metrics = metrics;
        _time = time;
        _arrival = time.GetTimestamp();
    }

    /// <summary>
    /// The TimeProvider timestamp of the first token the server got from this engine's sampling (a
    /// generation-only request's given first tokens do not count); 0 before it.
    /// </summary>
    public long FirstToken { get; private set; }

    /// <summary>A token arrived; <paramref name="imported"/> for a generation-only request's given first tokens.</summary>
    public void Token(bool imported)
    {
        var now = _time.GetTimestamp();
        if (!imported && FirstToken == 0)
        {
            FirstToken = now;
        }

        if (_last == 0)
        {
            _metrics.TimeToFirstToken.Observe(_time.GetElapsedTime(_arrival, now).TotalSeconds);
        }
        else
        {
            _metrics.InterTokenLatency.Observe(_time.GetElapsedTime(_last, now).TotalSeconds);
        }

        _last = now;
    }

    public void Finished()
    {
        if (_last != 0)
        {
            _metrics.EndToEndLatency.Observe(_time.GetElapsedTime(_arrival, _last).TotalSeconds);
        }
    }
}
