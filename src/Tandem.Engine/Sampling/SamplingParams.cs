using Tandem.Engine.Execution;

namespace Tandem.Engine.Sampling;

/// <summary>
/// How one request picks its tokens. Defaults sample from the model's plain distribution.
/// <see cref="Validate"/> names fields as the OpenAI/vLLM request spells them, because its
/// messages go back to the client.
/// </summary>
public sealed record SamplingParams
{
    public const int MaxLogprobs = 20;

    /// <summary>0 (anything below 1e-5) means greedy.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>0 or -1 turns top-k off; 1 is greedy.</summary>
    public int TopK { get; init; }

    public float TopP { get; init; } = 1f;

    public float MinP { get; init; }

    /// <summary>Same seed and same logits give the same tokens. Null: the engine's per-request seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>HF/vLLM semantics over prompt and generated tokens: positive logits divided, negative multiplied.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>OpenAI semantics over generated tokens: subtracted once from every token that appeared.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>OpenAI semantics over generated tokens: subtracted once per occurrence.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Null: no logprobs. 0..20: the sampled token's logprob plus this many top alternatives.</summary>
    public int? Logprobs { get; init; }

    public IReadOnlyList<RequestProblem> Validate()
    {
        var problems = new List<RequestProblem>();

        // Comparisons are written so that NaN fails them.
        if (!(Temperature >= 0f && float.IsFinite(Temperature)))
        {
            problems.Add(new("temperature", $"temperature must be a finite number >= 0 (got {Temperature})"));
        }

        if (TopK < -1)
        {
            problems.Add(new("top_k", $"top_k must be -1 or 0 (off) or >= 1 (got {TopK})"));
        }

        if (!(TopP > 0f && TopP <= 1f))
        {
            problems.Add(new("top_p", $"top_p must be in (0, 1] (got {TopP})"));
        }

        if (!(MinP >= 0f && MinP <= 1f))
        {
            problems.Add(new("min_p", $"min_p must be in [0, 1] (got {MinP})"));
        }

        if (!(RepetitionPenalty > 0f && float.IsFinite(RepetitionPenalty)))
        {
            problems.Add(new("repetition_penalty", $"repetition_penalty must be a finite number > 0 (got {RepetitionPenalty})"));
        }

        if (!(PresencePenalty >= -2f && PresencePenalty <= 2f))
        {
            problems.Add(new("presence_penalty", $"presence_penalty must be in [-2, 2] (got {PresencePenalty})"));
        }

        if (!(FrequencyPenalty >= -2f && FrequencyPenalty <= 2f))
        {
            problems.Add(new("frequency_penalty", $"frequency_penalty must be in [-2, 2] (got {FrequencyPenalty})"));
        }

        if (Logprobs is < 0 or > MaxLogprobs)
        {
            problems.Add(new("logprobs", $"logprobs must be in [0, {MaxLogprobs}] (got {Logprobs})"));
        }

        return problems;
    }
}
