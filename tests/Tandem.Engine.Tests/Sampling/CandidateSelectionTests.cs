using Tandem.Engine.Sampling;

namespace Tandem.Engine.Tests.Sampling;

public class CandidateSelectionTests
{
    [Theory]
    [InlineData(0f)]
    [InlineData(1.5f)]
    [InlineData(-1.5f)]
    [InlineData(float.MaxValue)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(float.Epsilon)]
    public void Key_round_trips_logit_and_id(float logit)
    {
        var key = CandidateKey.Encode(logit, 123_456);
        Assert.Equal(logit + 0f, CandidateKey.Logit(key));
        Assert.Equal(123_456, CandidateKey.TokenId(key));
    }

    [Fact]
    public void Negative_zero_encodes_as_positive_zero() => Assert.Equal(CandidateKey.Encode(0f, 3), CandidateKey.Encode(-0f, 3));

    [Fact]
    public void Key_order_is_logit_descending_then_id_ascending()
    {
        float[] logits = [-3f, 2f, 0f, 2f, -0f, float.NegativeInfinity, 7f];
        var keys = new ulong[logits.Length];
        CandidateKey.EncodeAll(logits, keys);
        Array.Sort(keys);
        Assert.Equal([6, 1, 3, 2, 4, 0, 5], keys.Select(CandidateKey.TokenId));
    }

    [Fact]
    public void QuickSelect_puts_the_m_smallest_first_for_every_size_and_m()
    {
        var random = new Random(1);
        for (var n = 0; n <= 70; n++)
        {
            // Few distinct values, so many keys differ only by id.
            var values = Enumerable.Range(0, n).Select(i => CandidateKey.Encode(random.Next(4), i)).ToArray();
            var sorted = values.Order().ToArray();
            for (var m = 0; m <= n; m++)
            {
                var keys = (ulong[])values.Clone();
                QuickSelect.SmallestFirst(keys, m);
                Assert.Equal(sorted[..m], keys[..m].Order());
                Assert.Equal(sorted[m..], keys[m..].Order());
            }
        }
    }

    [Fact]
    public void QuickSelect_handles_sorted_and_reversed_input()
    {
        var ascending = Enumerable.Range(0, 5000).Select(i => (ulong)i).ToArray();
        var descending = ascending.Reverse().ToArray();
        QuickSelect.SmallestFirst(ascending, 10);
        QuickSelect.SmallestFirst(descending, 10);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (ulong)i), ascending[..10].Order());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (ulong)i), descending[..10].Order());
    }
}
