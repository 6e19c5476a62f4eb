namespace Tandem.Router.Benchmarking;

/// <summary>
/// Gaps between request arrivals, as <c>vllm bench serve</c> draws them: gamma with shape = burstiness and
/// scale = 1/(rate·burstiness), so the mean gap is 1/rate; burstiness 1 gives Poisson arrivals. An infinite rate gives no gaps.
/// </summary>
public sealed class ArrivalGaps(double requestRate, double burstiness, Random random)
{
    private readonly Random _random = random ?? throw new ArgumentNullException(nameof(random));

    public TimeSpan Next()
    {
        if (double.IsPositiveInfinity(requestRate))
        {
            return TimeSpan.Zero;
        }

        var theta = 1.0 / (requestRate * burstiness);
        return TimeSpan.FromSeconds(Gamma.Sample(_random, burstiness) * theta);
    }
}
