using Tandem.Engine.Sampling;

namespace Tandem.Engine.Tests.Sampling;

public class PenaltyTests
{
    // Prompt [1, 1, 3], generated [2, 2, 3].
    private static TokenHistory History()
    {
        var history = new TokenHistory(5, [1, 1, 3]);
        history.RecordGenerated(2);
        history.RecordGenerated(2);
        history.RecordGenerated(3);
        return history;
    }

    [Fact]
    public void History_counts_generated_tokens_only()
    {
        var history = History();
        Assert.Equal([1, 3, 2], history.Seen.ToArray());
        Assert.Equal([0, 0, 2, 1, 0], Enumerable.Range(0, 5).Select(history.GeneratedCount));
    }

    [Fact]
    public void Repetition_divides_positive_and_multiplies_negative_logits_of_prompt_and_output()
    {
        float[] logits = [1f, 2f, -1f, 0.5f, 3f];
        RepetitionPenalty.Apply(logits, History(), 2f);
        Assert.Equal([1f, 1f, -2f, 0.25f, 3f], logits);
    }

    [Fact]
    public void Presence_and_frequency_subtract_over_generated_tokens()
    {
        float[] logits = [1f, 2f, -1f, 0.5f, 3f];
        OccurrencePenalties.Apply(logits, History(), presence: 0.5f, frequency: 0.25f);
        // token 2: -1 - (0.25 * 2 + 0.5); token 3: 0.5 - (0.25 * 1 + 0.5); token 1 is prompt only.
        Assert.Equal([1f, 2f, -2f, -0.25f, 3f], logits);
    }

    [Fact]
    public void Sampler_applies_repetition_then_presence_and_frequency()
    {
        var p = new SamplingParams { Temperature = 0f, RepetitionPenalty = 2f, PresencePenalty = 0.5f, FrequencyPenalty = 0.25f };
        var sampler = new Sampler(p, 5, [1, 1, 3], 0);
        sampler.Accept(2);
        sampler.Accept(2);
        sampler.Accept(3);
        float[] logits = [1f, 2f, -1f, 0.5f, 3f];

        sampler.Sample(logits);

        // Greedy leaves the penalized logits in place: [1, 2/2, -1*2 - 1, 0.5/2 - 0.75, 3].
        Assert.Equal([1f, 1f, -3f, -0.5f, 3f], logits);
    }

    [Fact]
    public void A_penalty_moves_greedy_off_a_repeated_token()
    {
        var p = new SamplingParams { Temperature = 0f, FrequencyPenalty = 1f };
        var sampler = new Sampler(p, 3, [], 0);
        float[] step = [0f, 2.5f, 1f];

        Assert.Equal(1, sampler.Sample(step.ToArray()).TokenId); // 2.5
        Assert.Equal(1, sampler.Sample(step.ToArray()).TokenId); // 1.5 > 1
        Assert.Equal(2, sampler.Sample(step.ToArray()).TokenId); // 0.5 < 1
    }
}
