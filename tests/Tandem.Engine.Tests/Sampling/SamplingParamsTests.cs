using Tandem.Engine.Sampling;

namespace Tandem.Engine.Tests.Sampling;

public class SamplingParamsTests
{
    [Fact]
    public void Defaults_are_valid() => Assert.Empty(new SamplingParams().Validate());

    [Fact]
    public void Boundary_values_are_valid()
    {
        var p = new SamplingParams
        {
            Temperature = 0f,
            TopK = -1,
            TopP = 1f,
            MinP = 1f,
            RepetitionPenalty = 0.01f,
            PresencePenalty = -2f,
            FrequencyPenalty = 2f,
            Logprobs = 20,
        };
        Assert.Empty(p.Validate());
    }

    [Fact]
    public void Validate_reports_every_bad_field_at_once_with_its_range()
    {
        var p = new SamplingParams
        {
            Temperature = -0.5f,
            TopK = -2,
            TopP = 0f,
            MinP = 1.5f,
            RepetitionPenalty = 0f,
            PresencePenalty = 2.5f,
            FrequencyPenalty = -3f,
            Logprobs = 21,
        };

        var problems = p.Validate();

        Assert.Collection(
            problems,
            m => Assert.StartsWith("temperature must be a finite number >= 0", m),
            m => Assert.StartsWith("top_k must be -1 or 0 (off) or >= 1", m),
            m => Assert.StartsWith("top_p must be in (0, 1]", m),
            m => Assert.StartsWith("min_p must be in [0, 1]", m),
            m => Assert.StartsWith("repetition_penalty must be a finite number > 0", m),
            m => Assert.StartsWith("presence_penalty must be in [-2, 2]", m),
            m => Assert.StartsWith("frequency_penalty must be in [-2, 2]", m),
            m => Assert.StartsWith("logprobs must be in [0, 20]", m));
    }

    [Fact]
    public void NaN_is_rejected_everywhere()
    {
        var p = new SamplingParams
        {
            Temperature = float.NaN,
            TopP = float.NaN,
            MinP = float.NaN,
            RepetitionPenalty = float.NaN,
            PresencePenalty = float.NaN,
            FrequencyPenalty = float.NaN,
        };
        Assert.Equal(6, p.Validate().Count);
    }

    [Fact]
    public void Sampler_refuses_invalid_params()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Sampler(new SamplingParams { TopP = 2f }, 8, [], 0));
        Assert.Contains("top_p", ex.Message);
    }
}
