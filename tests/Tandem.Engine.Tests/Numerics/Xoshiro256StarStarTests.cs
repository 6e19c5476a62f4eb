using Tandem.Engine.Numerics;

namespace Tandem.Engine.Tests.Numerics;

public class Xoshiro256StarStarTests
{
    [Fact]
    public void Matches_the_reference_sequence_from_state_1_2_3_4()
    {
        var rng = new Xoshiro256StarStar(1, 2, 3, 4);
        Assert.Equal(11520UL, rng.NextUInt64());
        Assert.Equal(0UL, rng.NextUInt64());
        Assert.Equal(1509978240UL, rng.NextUInt64());
        Assert.Equal(1215971899390074240UL, rng.NextUInt64());
    }

    [Fact]
    public void SplitMix64_matches_the_reference_sequence()
    {
        var state = 1234567UL;
        Assert.Equal(6457827717110365317UL, Xoshiro256StarStar.SplitMix64(ref state));
        Assert.Equal(3203168211198807973UL, Xoshiro256StarStar.SplitMix64(ref state));
        Assert.Equal(9817491932198370423UL, Xoshiro256StarStar.SplitMix64(ref state));
    }

    [Fact]
    public void NextDouble_stays_in_the_unit_interval()
    {
        var rng = new Xoshiro256StarStar(42);
        for (var i = 0; i < 10_000; i++)
        {
            var u = rng.NextDouble();
            Assert.InRange(u, 0.0, Math.BitDecrement(1.0));
        }
    }
}
