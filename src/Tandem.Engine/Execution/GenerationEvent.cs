using Tandem.Engine.Sampling;

namespace Tandem.Engine.Execution;

/// <summary>
/// What a request's event stream carries: one event per generated token (Finish = None), then
/// exactly one final event (Finish ≠ None, TokenId = -1) with the reason and, for failures, a message.
/// A generation-only request's stream starts with its given first tokens (<see cref="Imported"/> true).
/// The final event of a request the engine accepted carries its <see cref="Metrics"/>.
/// </summary>
public readonly record struct GenerationEvent(
    int TokenId,
    float Logprob,
    TokenLogprob[]? TopLogprobs,
    FinishReason Finish,
    string? Message,
    bool Imported = false,
    RequestMetrics? Metrics = null)
{
    public bool IsFinal => Finish != FinishReason.None;

    public static GenerationEvent Token(in SampledToken token) => new(token.TokenId, token.Logprob, token.TopLogprobs, FinishReason.None, null);

    public static GenerationEvent Final(FinishReason reason, string? message = null, RequestMetrics? metrics = null) => new(-1, 0, null, reason, message, Metrics: metrics);
}
