using Tandem.Engine.Sampling;

namespace Tandem.Engine.Tests.Sampling;

public class SamplerTests
{
    private static float[] LogitsOf(params double[] probabilities) => probabilities.Select(p => (float)Math.Log(p)).ToArray();

    private static int[] Counts(Sampler sampler, float[] logits, int draws)
    {
        var counts = new int[logits.Length];
        var scratch = new float[logits.Length];
        for (var i = 0; i < draws; i++)
        {
            logits.CopyTo(scratch, 0);
            counts[sampler.Sample(scratch).TokenId]++;
        }

        return counts;
    }

    private static double ChiSquare(int[] counts, double[] expectedProbabilities)
    {
        var draws = counts.Sum();
        return counts.Select((c, i) => expectedProbabilities[i] == 0 ? 0 : Math.Pow(c - (draws * expectedProbabilities[i]), 2) / (draws * expectedProbabilities[i])).Sum();
    }

    [Fact]
    public void Greedy_picks_the_argmax_and_the_lowest_index_on_ties()
    {
        var sampler = new Sampler(new SamplingParams { Temperature = 0f }, 6, [], 0);
        Assert.Equal(3, sampler.Sample([1f, 2f, -1f, 9f, 0f, 8.5f]).TokenId);
        Assert.Equal(1, sampler.Sample([1f, 9f, -1f, 9f, 0f, 9f]).TokenId);
    }

    [Fact]
    public void Top_k_1_is_greedy_at_any_temperature()
    {
        var sampler = new Sampler(new SamplingParams { Temperature = 5f, TopK = 1 }, 4, [], 0);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(2, sampler.Sample([1f, 1.5f, 2f, 2f]).TokenId);
        }
    }

    [Fact]
    public void Greedy_draws_no_random_numbers()
    {
        float[] logits = [0f, 0.1f, 0.2f, 0.3f];
        var plain = new Sampler(new SamplingParams { Seed = 5 }, 4, [], 0);
        var mixed = new Sampler(new SamplingParams { Seed = 5 }, 4, [], 0);
        var greedy = new Sampler(new SamplingParams { Temperature = 0f, Seed = 5 }, 4, [], 0);
        greedy.Sample(logits.ToArray());
        Assert.Equal(Counts(plain, logits, 50), Counts(mixed, logits, 50));
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(0.5f)]
    [InlineData(2f)]
    public void Temperature_shapes_the_distribution(float temperature)
    {
        double[] probabilities = [0.1, 0.2, 0.3, 0.4];
        var logits = LogitsOf(probabilities);
        var tempered = probabilities.Select(p => Math.Pow(p, 1 / temperature)).ToArray();
        var expected = tempered.Select(t => t / tempered.Sum()).ToArray();
        var sampler = new Sampler(new SamplingParams { Temperature = temperature, Seed = 11 }, 4, [], 0);

        var counts = Counts(sampler, logits, 20_000);

        // 3 degrees of freedom: 16.27 is the 0.999 quantile.
        Assert.InRange(ChiSquare(counts, expected), 0, 16.27);
    }

    [Fact]
    public void Filters_run_top_k_then_top_p_then_min_p_and_the_draw_follows_the_renormalized_distribution()
    {
        // Sorted probabilities 0.4, 0.25, 0.15, 0.1, 0.05, 0.05, spread over ids.
        var logits = LogitsOf(0.05, 0.15, 0.4, 0.1, 0.05, 0.25);
        // top_k 4 keeps 0.4 0.25 0.15 0.1 (renormalized .444 .278 .167 .111); top_p 0.8 stops at
        // .889, dropping 0.1; min_p 0.3 keeps >= 0.3 × 0.4 = 0.12, so all three survive.
        var p = new SamplingParams { TopK = 4, TopP = 0.8f, MinP = 0.3f, Seed = 3 };
        var sampler = new Sampler(p, logits.Length, [], 0);

        var counts = Counts(sampler, logits, 20_000);

        Assert.Equal(0, counts[0] + counts[3] + counts[4]);
        Assert.InRange(ChiSquare(counts, [0, 0.15 / 0.8, 0.4 / 0.8, 0, 0, 0.25 / 0.8]), 0, 13.82); // 2 dof, 0.999
    }

    [Fact]
    public void Min_p_alone_drops_unlikely_tokens_of_a_large_vocab()
    {
        var logits = new float[40_000];
        Array.Fill(logits, -20f);
        logits[12_345] = 0f;
        logits[30_000] = -1f;
        var sampler = new Sampler(new SamplingParams { MinP = 0.1f, Seed = 9 }, logits.Length, [], 0);
        var counts = Counts(sampler, logits, 300);
        Assert.Equal(300, counts[12_345] + counts[30_000]);
        Assert.True(counts[30_000] > 0);
    }

    [Fact]
    public void Same_seed_gives_same_tokens_and_different_seeds_differ()
    {
        var logits = new float[1_000];
        var sequence = (ulong seed, ulong fallback, ulong? explicitSeed) =>
        {
            var sampler = new Sampler(new SamplingParams { Seed = explicitSeed, TopP = 0.9f }, logits.Length, [], fallback);
            return Enumerable.Range(0, 50).Select(_ => sampler.Sample(logits.ToArray()).TokenId).ToArray();
        };

        var a = sequence(0, 0, 42);
        Assert.Equal(a, sequence(0, 999, 42));
        Assert.Equal(a, sequence(0, 42, null)); // no seed: the engine's fallback seed is used
        Assert.NotEqual(a, sequence(0, 0, 43));
    }

    [Fact]
    public void Accept_rejects_tokens_outside_the_vocab()
    {
        var sampler = new Sampler(new SamplingParams(), 4, [], 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Accept(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Accept(-1));
    }

    [Fact]
    public void Sample_rejects_logits_of_the_wrong_length()
    {
        var sampler = new Sampler(new SamplingParams(), 4, [], 0);
        Assert.Throws<ArgumentException>(() => sampler.Sample(new float[3]));
    }

    public static TheoryData<SamplingParams> SteadyStateParams() =>
    [
        new SamplingParams(),
        new SamplingParams { Temperature = 0f, RepetitionPenalty = 1.2f },
        new SamplingParams { Temperature = 0.8f, TopK = 40, TopP = 0.9f, MinP = 0.05f, RepetitionPenalty = 1.1f, PresencePenalty = 0.5f, FrequencyPenalty = 0.5f },
        new SamplingParams { TopP = 0.95f },
        new SamplingParams { MinP = 0.1f, Logprobs = 0 },
    ];

    [Theory]
    [MemberData(nameof(SteadyStateParams))]
    public void Sample_allocates_nothing_in_steady_state(SamplingParams p)
    {
        const int vocab = 32_000;
        var random = new Random(5);
        var source = Enumerable.Range(0, vocab).Select(_ => (float)(random.NextDouble() * 10)).ToArray();
        var logits = new float[vocab];
        var sampler = new Sampler(p with { Seed = 1 }, vocab, [1, 2, 3], 0);
        for (var i = 0; i < 3; i++)
        {
            source.CopyTo(logits, 0);
            sampler.Sample(logits);
        }

        // A garbage collection during the measurement (other tests' model loads run beside this one) can
        // move the thread's count by up to an allocation quantum with nothing allocated (see
        // InferenceEngine's step accounting): such rounds are measured again, up to 10 times.
        for (var round = 0; round < 10; round++)
        {
            var collections = GC.CollectionCount(0);
            var paused = GC.GetTotalPauseDuration();
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 20; i++)
            {
                source.CopyTo(logits, 0);
                sampler.Sample(logits);
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (GC.CollectionCount(0) == collections && GC.GetTotalPauseDuration() == paused)
            {
                Assert.Equal(0, allocated);
                return;
            }
        }

        Assert.Fail("every one of 10 measurements saw a garbage-collection pause");
    }
}
