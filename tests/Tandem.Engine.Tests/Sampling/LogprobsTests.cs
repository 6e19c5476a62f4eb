using Tandem.Engine.Sampling;

namespace Tandem.Engine.Tests.Sampling;

public class LogprobsTests
{
    private static double[] ReferenceLogSoftmax(float[] logits)
    {
        var max = logits.Max(l => (double)l);
        var lse = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
        return logits.Select(l => l - lse).ToArray();
    }

    private static float[] RandomLogits(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 30 - 15)).ToArray();
    }

    [Fact]
    public void Logprobs_match_a_double_precision_reference_of_the_raw_logits()
    {
        var logits = RandomLogits(5_000, 3);
        var reference = ReferenceLogSoftmax(logits);
        var expectedTop = Enumerable.Range(0, logits.Length).OrderByDescending(i => reference[i]).ThenBy(i => i).Take(5).ToArray();
        // Penalties and temperature must not touch the reported logprobs.
        var p = new SamplingParams { Temperature = 0.3f, RepetitionPenalty = 1.7f, PresencePenalty = 1f, TopK = 50, Logprobs = 5, Seed = 1 };
        var sampler = new Sampler(p, logits.Length, [expectedTop[0], 17], 0);
        sampler.Accept(expectedTop[1]);

        var result = sampler.Sample(logits.ToArray());

        Assert.Equal(reference[result.TokenId], result.Logprob, 1e-5);
        Assert.NotNull(result.TopLogprobs);
        Assert.Equal(expectedTop, result.TopLogprobs.Select(t => t.TokenId));
        foreach (var (id, logprob) in result.TopLogprobs)
        {
            Assert.Equal(reference[id], logprob, 1e-5);
        }
    }

    [Fact]
    public void Top_logprobs_are_sorted_descending_with_ties_by_id()
    {
        float[] logits = [1f, 4f, 2f, 4f, 2f, 0f, 4f];
        var sampler = new Sampler(new SamplingParams { Temperature = 0f, Logprobs = 5 }, logits.Length, [], 0);

        var result = sampler.Sample(logits.ToArray());

        Assert.Equal(1, result.TokenId);
        Assert.Equal([1, 3, 6, 2, 4], result.TopLogprobs!.Select(t => t.TokenId));
        var reference = ReferenceLogSoftmax(logits);
        Assert.Equal(reference[1], result.Logprob, 1e-6);
    }

    [Fact]
    public void More_alternatives_than_the_vocab_returns_the_whole_vocab()
    {
        var sampler = new Sampler(new SamplingParams { Temperature = 0f, Logprobs = 20 }, 3, [], 0);
        var result = sampler.Sample([0f, 1f, 2f]);
        Assert.Equal([2, 1, 0], result.TopLogprobs!.Select(t => t.TokenId));
        Assert.Equal(1.0, result.TopLogprobs!.Sum(t => Math.Exp(t.Logprob)), 1e-6);
    }

    [Fact]
    public void Logprobs_zero_gives_the_sampled_logprob_and_no_alternatives()
    {
        var sampler = new Sampler(new SamplingParams { Temperature = 0f, Logprobs = 0 }, 2, [], 0);
        var result = sampler.Sample([0f, 0f]);
        Assert.Equal(0, result.TokenId);
        Assert.Equal(Math.Log(0.5), result.Logprob, 1e-6);
        Assert.Empty(result.TopLogprobs!);
    }

    [Fact]
    public void No_logprobs_requested_gives_NaN_and_null()
    {
        var sampler = new Sampler(new SamplingParams(), 2, [], 0);
        var result = sampler.Sample([0f, 0f]);
        Assert.True(float.IsNaN(result.Logprob));
        Assert.Null(result.TopLogprobs);
    }
}
