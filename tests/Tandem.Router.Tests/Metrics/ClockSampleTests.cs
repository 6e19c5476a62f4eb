using Tandem.Router.Metrics;

namespace Tandem.Router.Tests.Metrics;

public sealed class ClockSampleTests
{
    [Fact]
    public void SymmetricTripGivesTheExactOffsetAndTheTripLessTheWorkersTime()
    {
        // The worker is 1000 s ahead; each direction takes 0.002 s; the worker holds the request 0.001 s.
        var sample = new ClockSample(RouterSent: 10.000, WorkerReceived: 1010.002, WorkerSent: 1010.003, RouterReceived: 10.005);

        Assert.Equal(1000, sample.Offset, 9);
        Assert.Equal(0.004, sample.Delay, 9);
    }

    [Fact]
    public void AsymmetricTripMissesTheOffsetByAtMostHalfTheDelay()
    {
        // Out takes 0.004 s, back 0.000 s: the estimate is off by 0.002 s, half the delay.
        var sample = new ClockSample(RouterSent: 5.0, WorkerReceived: 4.004, WorkerSent: 4.004, RouterReceived: 5.004);

        Assert.Equal(-0.998, sample.Offset, 9);
        Assert.True(Math.Abs(sample.Offset - (-1)) <= (sample.Delay / 2) + 1e-12);
    }
}
