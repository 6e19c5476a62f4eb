namespace Tandem.Router.Metrics;

/// <summary>
/// One NTP-style exchange with a worker: <see cref="RouterSent"/> (t0) and <see cref="RouterReceived"/> (t3) on the
/// router's steady clock, <see cref="WorkerReceived"/> (t1) and <see cref="WorkerSent"/> (t2) on the worker's.
/// </summary>
internal readonly record struct ClockSample(double RouterSent, double WorkerReceived, double WorkerSent, double RouterReceived)
{
    /// <summary>How far the worker's clock is ahead of the router's, assuming the two directions take equally long.</summary>
    public double Offset => ((WorkerReceived - RouterSent) + (WorkerSent - RouterReceived)) / 2;

    /// <summary>The round trip less the worker's own time: the error bound of <see cref="Offset"/> is half of it.</summary>
    public double Delay => (RouterReceived - RouterSent) - (WorkerSent - WorkerReceived);
}
