namespace Tandem.Router.Benchmarking;

/// <summary>
/// One prompt to send: text (chat, or a prompts file) or token ids (random prompts to <c>/v1/completions</c>),
/// its input length (exact for token ids, an estimate for text until the server's usage says), and <c>max_tokens</c>.
/// </summary>
public sealed record BenchRequest(string? Text, IReadOnlyList<int>? TokenIds, int InputLen, int OutputLen);
