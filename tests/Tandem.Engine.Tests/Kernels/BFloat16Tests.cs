using Tandem.Engine.Kernels;

namespace Tandem.Engine.Tests.Kernels;

public class BFloat16Tests
{
    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(-2.0f, 0xC000)]
    [InlineData(0.0f, 0x0000)]
    [InlineData(-0.0f, 0x8000)]
    [InlineData(float.PositiveInfinity, 0x7F80)]
    [InlineData(float.NegativeInfinity, 0xFF80)]
    public void Exact_values_narrow_to_their_bits(float value, int bits) => Assert.Equal((ushort)bits, BFloat16.FromSingle(value));

    [Theory]
    [InlineData(0x3F80_8000u, 0x3F80)] // tie, even stays
    [InlineData(0x3F81_8000u, 0x3F82)] // tie, odd rounds up to even
    [InlineData(0x3F80_8001u, 0x3F81)] // above the tie
    [InlineData(0x3F80_7FFFu, 0x3F80)] // below the tie
    [InlineData(0x7F7F_FFFFu, 0x7F80)] // float.MaxValue overflows to infinity
    [InlineData(0x0000_0001u, 0x0000)] // smallest subnormal rounds to zero
    public void Narrowing_rounds_to_nearest_even(uint fp32Bits, int bits) =>
        Assert.Equal((ushort)bits, BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(fp32Bits)));

    [Theory]
    [InlineData(0x7FC0_0000u)]
    [InlineData(0x7F80_0001u)] // signalling NaN whose payload lives only in the dropped half
    [InlineData(0xFFFF_FFFFu)]
    public void NaN_stays_NaN(uint fp32Bits) =>
        Assert.True(float.IsNaN(BFloat16.ToSingle(BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(fp32Bits)))));

    [Fact]
    public void Every_bf16_value_round_trips()
    {
        for (var bits = 0; bits <= ushort.MaxValue; bits++)
        {
            var value = BFloat16.ToSingle((ushort)bits);
            var back = BFloat16.FromSingle(value);
            if (float.IsNaN(value))
            {
                Assert.True(float.IsNaN(BFloat16.ToSingle(back)));
            }
            else
            {
                Assert.Equal((ushort)bits, back);
            }
        }
    }

    [Fact]
    public void Span_conversions_equal_the_scalar_ones_for_every_length()
    {
        var random = new Random(6);
        for (var length = 0; length <= 100; length++)
        {
            var source = new float[length];
            for (var i = 0; i < length; i++)
            {
                source[i] = BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32));
            }

            var narrowed = new ushort[length];
            BFloat16.FromSingle(source, narrowed);
            var widened = new float[length];
            BFloat16.ToSingle(narrowed, widened);
            for (var i = 0; i < length; i++)
            {
                Assert.Equal(BFloat16.FromSingle(source[i]), narrowed[i]);
                Assert.Equal(BitConverter.SingleToUInt32Bits(BFloat16.ToSingle(narrowed[i])), BitConverter.SingleToUInt32Bits(widened[i]));
            }
        }
    }
}
