using Tandem.Engine.Kernels;

namespace Tandem.Engine.Tests.Kernels;

public sealed class SwiGluTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_length_0_to_256_gives_each_element_what_it_gives_alone_bit_for_bit(bool wide)
    {
        var random = new Random(31);
        for (var length = 0; length <= 256; length++)
        {
            var gate = Values(length, random);
            var up = Values(length, random);
            var batch = (float[])gate.Clone();
            SwiGlu.Apply(batch, up, wide);
            for (var i = 0; i < length; i++)
            {
                var alone = new[] { gate[i] };
                SwiGlu.Apply(alone, [up[i]], wide);
                Assert.True(BitConverter.SingleToInt32Bits(alone[0]) == BitConverter.SingleToInt32Bits(batch[i]), $"length {length}, element {i}: {batch[i]:R} alone {alone[0]:R}");
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Results_are_within_a_few_ulps_of_a_double_reference_over_the_whole_range(bool wide)
    {
        var random = new Random(32);
        var gate = Values(100_000, random).Concat([0f, -0f, 1e-30f, -1e-30f, 88f, -88f, 100f, -100f, 1e30f, -1e30f]).ToArray();
        var up = gate.Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        var result = (float[])gate.Clone();
        SwiGlu.Apply(result, up, wide);
        for (var i = 0; i < gate.Length; i++)
        {
            var expected = gate[i] / (1 + Math.Exp(-(double)gate[i])) * up[i];
            // 4 ulps; below fp32's normal range (silu(−100) ≈ −3.7e−42) e^100 overflows and gives −0, as MathF.Exp does.
            var tolerance = Math.Max(4 * Math.Abs(expected) * 1.2e-7, 1.2e-38);
            Assert.True(Math.Abs(result[i] - expected) <= tolerance, $"silu({gate[i]:R}) · {up[i]:R} = {result[i]:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void NaN_stays_in_its_element_and_unequal_lengths_are_refused()
    {
        var gate = Enumerable.Range(0, 40).Select(i => i / 10f).ToArray();
        gate[17] = float.NaN;
        SwiGlu.Apply(gate, Enumerable.Repeat(1f, 40).ToArray());
        Assert.True(float.IsNaN(gate[17]));
        Assert.Equal(39, gate.Count(float.IsFinite));
        Assert.Throws<ArgumentException>(() => SwiGlu.Apply(new float[3], new float[4]));
    }

    private static float[] Values(int length, Random random)
        => [.. Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 3))))];
}
