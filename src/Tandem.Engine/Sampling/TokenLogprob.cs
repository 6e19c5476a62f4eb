namespace Tandem.Engine.Sampling;

/// <summary>A token and its log-probability under the raw model distribution.</summary>
public readonly record struct TokenLogprob(int TokenId, float Logprob);
