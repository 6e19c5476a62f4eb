using Tandem.Engine.Sampling;

namespace Tandem.Engine.Tests.Sampling;

public class FilterTests
{
    // Token i has probability Probabilities[i]; listed out of order on purpose.
    private static readonly double[] Probabilities = [0.15, 0.05, 0.5, 0.3];

    private static float[] LogitsOf(double[] probabilities) => probabilities.Select(p => (float)Math.Log(p)).ToArray();

    private static ulong[] KeysOf(float[] logits)
    {
        var keys = new ulong[logits.Length];
        CandidateKey.EncodeAll(logits, keys);
        return keys;
    }

    private static int[] Ids(ReadOnlySpan<ulong> keys)
    {
        var ids = new int[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            ids[i] = CandidateKey.TokenId(keys[i]);
        }

        Array.Sort(ids);
        return ids;
    }

    [Fact]
    public void TopK_keeps_the_k_highest_with_lowest_ids_on_ties()
    {
        var keys = KeysOf([1f, 3f, 3f, 2f, 3f]);
        var n = TopK.Apply(keys, 2);
        Assert.Equal([1, 2], Ids(keys.AsSpan(0, n)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(9)]
    public void TopK_off_or_not_smaller_than_the_vocab_keeps_all(int k)
    {
        var keys = KeysOf([1f, 3f, 3f, 2f, 3f]);
        Assert.Equal(5, TopK.Apply(keys, k));
    }

    [Fact]
    public void TopK_on_a_large_vocab_matches_a_full_sort()
    {
        var random = new Random(7);
        var logits = Enumerable.Range(0, 50_000).Select(_ => (float)Math.Round(random.NextDouble() * 20, 2)).ToArray();
        var expected = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).Take(100).Order();
        var keys = KeysOf(logits);
        var n = TopK.Apply(keys, 100);
        Assert.Equal(expected, Ids(keys.AsSpan(0, n)));
    }

    [Theory]
    [InlineData(0.4f, new[] { 2 })]
    [InlineData(0.75f, new[] { 2, 3 })]
    [InlineData(0.85f, new[] { 0, 2, 3 })]
    [InlineData(0.99f, new[] { 0, 1, 2, 3 })]
    public void TopP_keeps_the_smallest_prefix_reaching_p(float p, int[] expected)
    {
        var logits = LogitsOf(Probabilities);
        var keys = KeysOf(logits);
        var max = logits.Max();
        var total = logits.Sum(l => Math.Exp(l - max));
        var n = TopP.Apply(keys, p, max, total);
        Assert.Equal(expected, Ids(keys.AsSpan(0, n)));
        Assert.Equal(expected.Length, n);
    }

    [Fact]
    public void TopP_on_a_flat_large_vocab_grows_its_prefix_and_breaks_ties_by_id()
    {
        var logits = new float[10_000];
        var keys = KeysOf(logits);
        var n = TopP.Apply(keys, 0.5f, 0f, logits.Length);
        Assert.Equal(5_000, n);
        Assert.Equal(Enumerable.Range(0, 5_000), Ids(keys.AsSpan(0, n)));
    }

    [Theory]
    [InlineData(0.2f, new[] { 0, 2, 3 })]
    [InlineData(0.5f, new[] { 2, 3 })]
    [InlineData(0.65f, new[] { 2 })]
    [InlineData(1f, new[] { 2 })]
    public void MinP_keeps_tokens_at_least_min_p_times_the_top_probability(float minP, int[] expected)
    {
        var logits = LogitsOf(Probabilities);
        var keys = KeysOf(logits);
        var n = MinP.Apply(keys, MinP.Floor(minP, logits.Max()));
        Assert.Equal(expected, Ids(keys.AsSpan(0, n)));
    }
}
