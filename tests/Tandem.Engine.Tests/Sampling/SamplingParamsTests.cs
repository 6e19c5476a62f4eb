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
            m => Assert.Equal(("temperature", true), (m.Param, m.Message.StartsWith("temperature must be a finite number >= 0", StringComparison.Ordinal))),
            m => Assert.Equal(("top_k", true), (m.Param, m.Message.StartsWith("top_k must be -1 or 0 (off) or >= 1", StringComparison.Ordinal))),
            m => Assert.Equal(("top_p", true), (m.Param, m.Message.StartsWith("top_p must be in (0, 1]", StringComparison.Ordinal))),
            m => Assert.Equal(("min_p", true), (m.Param, m.Message.StartsWith("min_p must be in [0, 1]", StringComparison.Ordinal))),
            m => Assert.Equal(("repetition_penalty", true), (m.Param, m.Message.StartsWith("repetition_penalty must be a finite number > 0", StringComparison.Ordinal))),
            m => Assert.Equal(("presence_penalty", true), (m.Param, m.Message.StartsWith("presence_penalty must be in [-2, 2]", StringComparison.Ordinal))),
            m => Assert.Equal(("frequency_penalty", true), (m.Param, m.Message.StartsWith("frequency_penalty must be in [-2, 2]", StringComparison.Ordinal))),
            m => Assert.Equal(("logprobs", true), (m.Param, m.Message.StartsWith("logprobs must be in [0, 20]", StringComparison.Ordinal))));
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
