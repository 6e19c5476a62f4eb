namespace Tandem.Router.Launch;

/// <summary>The delay before restart number <c>n</c> (1-based): <c>first × 2^(n-1)</c>, at most <c>max</c>.</summary>
public static class RestartBackoff
{
    public static TimeSpan Delay(int restart, TimeSpan first, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(restart, 1);
        var factor = Math.Pow(2, Math.Min(restart - 1, 30));
        return TimeSpan.FromTicks((long)Math.Min(first.Ticks * factor, max.Ticks));
    }
}
