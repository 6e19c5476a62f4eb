namespace Tandem.Router.Benchmarking;

/// <summary>vLLM's random lengths: uniform integers in [⌊len·(1−r)⌋, ⌈len·(1+r)⌉], never below <see cref="Min"/>.</summary>
public readonly record struct LengthRange(int Min, int Max)
{
    public static LengthRange Of(int length, double rangeRatio, int floor = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        if (rangeRatio is < 0 or >= 1 || double.IsNaN(rangeRatio))
        {
            throw new ArgumentOutOfRangeException(nameof(rangeRatio), rangeRatio, "the range ratio must be in [0, 1)");
        }

        var low = Math.Max(floor, (int)Math.Floor(length * (1 - rangeRatio)));
        var high = Math.Max(low, (int)Math.Ceiling(length * (1 + rangeRatio)));
        return new LengthRange(low, high);
    }

    public int Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return random.Next(Min, Max + 1);
    }
}
