using System.Text.Json.Serialization;

namespace Tandem.Contracts;

public sealed record ChatLogprobs
{
    public required IReadOnlyList<ChatTokenLogprob> Content { get; init; }
}

public sealed record ChatTokenLogprob
{
    public required string Token { get; init; }

    public required float Logprob { get; init; }

    /// <summary>The token's UTF-8 bytes; null when the token has no byte form.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public IReadOnlyList<int>? Bytes { get; init; }

    public required IReadOnlyList<ChatTopLogprob> TopLogprobs { get; init; }
}

public sealed record ChatTopLogprob
{
    public required string Token { get; init; }

    public required float Logprob { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public IReadOnlyList<int>? Bytes { get; init; }
}
