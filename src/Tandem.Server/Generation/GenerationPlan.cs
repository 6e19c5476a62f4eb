using Tandem.Contracts;
using Tandem.Engine.Execution;

namespace Tandem.Server.Generation;

/// <summary>A validated request, ready for the engine: tokens and parameters plus what shapes the response.</summary>
internal sealed record GenerationPlan(
    EngineRequest Request,
    IReadOnlyList<string> Stops,
    int? Logprobs,
    bool Stream,
    bool IncludeUsage,
    string? EchoText,
    DisaggregatedParams? Disaggregated = null,
    int Choices = 1)
{
    public RequestType Type => Request.Type;

    /// <summary>
    /// The engine request of choice <paramref name="index"/> (of <see cref="Choices"/>, OpenAI's <c>n</c>):
    /// choice 0 is <see cref="Request"/>; the others get the id suffix <c>-index</c> and, when a seed was
    /// given, the seed + index, so that each choice samples differently and the whole answer repeats.
    /// </summary>
    public EngineRequest ChoiceRequest(int index) => index == 0
        ? Request
        : Request with
        {
            Id = $"{Request.Id}-{index}",
            Sampling = Request.Sampling with { Seed = Request.Sampling.Seed is { } seed ? unchecked(seed + (ulong)index) : null },
        };
}
