using System.Diagnostics;
using Tandem.Server.Metrics;

namespace Tandem.Server.Generation;

/// <summary>Observes one request's time to first token, inter-token latencies and end-to-end latency.</summary>
internal sealed class LatencyTracker
{
    private readonly ServerMetrics _metrics;
    private readonly long _arrival = Stopwatch.GetTimestamp();
    private long _last;

    public LatencyTracker(ServerMetrics metrics) => _metrics = metrics;

    public void Token()
    {
        var now = Stopwatch.GetTimestamp();
        if (_last == 0)
        {
            _metrics.TimeToFirstToken.Observe(Stopwatch.GetElapsedTime(_arrival, now).TotalSeconds);
        }
        else
        {
            _metrics.InterTokenLatency.Observe(Stopwatch.GetElapsedTime(_last, now).TotalSeconds);
        }

        _last = now;
    }

    public void Finished()
    {
        if (_last != 0)
        {
            _metrics.EndToEndLatency.Observe(Stopwatch.GetElapsedTime(_arrival, _last).TotalSeconds);
        }
    }
}
