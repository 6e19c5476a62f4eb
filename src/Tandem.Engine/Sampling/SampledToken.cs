namespace Tandem.Engine.Sampling;

/// <summary>
/// One sampled token. <see cref="Logprob"/> is NaN and <see cref="TopLogprobs"/> null when the
/// request asked for no logprobs; with logprobs 0, <see cref="TopLogprobs"/> is empty.
/// </summary>
public readonly record struct SampledToken(int TokenId, float Logprob, TokenLogprob[]? TopLogprobs);
