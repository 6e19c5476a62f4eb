namespace Tandem.Router.Metrics;

/// <summary>
/// Steady-clock seconds on the router's <see cref="TimeProvider"/>, the unit of <c>/perf_metrics</c> times (a worker's
/// times are shifted onto this clock by <see cref="WorkerClocks"/>).
/// </summary>
internal static class SteadyClock
{
    public static double Seconds(this TimeProvider time, long timestamp) => timestamp / (double)time.TimestampFrequency;

    public static double NowSeconds(this TimeProvider time) => time.Seconds(time.GetTimestamp());
}
