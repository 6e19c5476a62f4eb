namespace Tandem.Contracts;

/// <summary>The legacy completions logprobs: parallel lists, one entry per token.</summary>
public sealed record CompletionLogprobs
{
    public required IReadOnlyList<string> Tokens { get; init; }

    /// <summary>Null for a token without a logprob (the first echoed prompt token).</summary>
    public required IReadOnlyList<float?> TokenLogprobs { get; init; }

    /// <summary>Per token, the top alternatives as a token → logprob map, in rank order.</summary>
    public required IReadOnlyList<IReadOnlyDictionary<string, float>?> TopLogprobs { get; init; }

    public required IReadOnlyList<int> TextOffset { get; init; }
}
