using Tandem.Engine.Sampling;

namespace Tandem.Engine.Tests.Sampling;

public class FilterPipelineTests
{
    // The whole vocabulary sorted, then each filter in turn, in double precision.
    private static int[] Reference(float[] logits, int topK, double topP, double minP)
    {
        IEnumerable<int> kept = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).ToArray();
        double max = logits.Max();
        if (topK > 0)
        {
            kept = kept.Take(topK).ToArray();
        }

        var total = kept.Sum(i => Math.Exp(logits[i] - max));
        var cumulative = 0.0;
        var nucleus = new List<int>();
        foreach (var i in kept)
        {
            nucleus.Add(i);
            cumulative += Math.Exp(logits[i] - max);
            if (topP < 1 && cumulative >= topP * total)
            {
                break;
            }
        }

        return nucleus.Where(i => Math.Exp(logits[i] - max) >= minP).Order().ToArray();
    }

    public static TheoryData<int, float, float> Combinations()
    {
        var data = new TheoryData<int, float, float>();
        foreach (var k in new[] { 0, 5, 300 })
        {
            foreach (var p in new[] { 1f, 0.5f, 0.95f })
            {
                foreach (var minP in new[] { 0f, 0.02f, 0.3f })
                {
                    if (k > 0 || p < 1f || minP > 0f)
                    {
                        data.Add(k, p, minP);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Kept_candidates_match_a_full_sort_reference(int topK, float topP, float minP)
    {
        var random = new Random(topK + (int)(topP * 100) + (int)(minP * 1000));
        var flat = Enumerable.Range(0, 3_000).Select(_ => (float)(random.NextDouble() * 8)).ToArray();
        var peaked = flat.Select(l => random.NextDouble() < 0.01 ? l + 12f : l - 30f).ToArray();
        foreach (var logits in new[] { flat, peaked })
        {
            var sampler = new Sampler(new SamplingParams { TopK = topK, TopP = topP, MinP = minP }, logits.Length, [], 0);

            var keys = sampler.Filter(logits, out _);

            var ids = new int[keys.Length];
            for (var i = 0; i < keys.Length; i++)
            {
                ids[i] = CandidateKey.TokenId(keys[i]);
            }

            Array.Sort(ids);
            Assert.Equal(Reference(logits, topK, topP, minP), ids);
        }
    }
}
