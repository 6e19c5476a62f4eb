using System.Text.Json.Serialization;

namespace Tandem.Contracts;

/// <summary>One server-sent event of a streamed chat completion; the final usage chunk has no choices and a <see cref="Usage"/>.</summary>
public sealed record ChatCompletionChunk
{
    public required string Id { get; init; }

    [JsonPropertyName("object")]
    public string ObjectType { get; } = "chat.completion.chunk";

    public required long Created { get; init; }

    public required string Model { get; init; }

    public required IReadOnlyList<ChatChunkChoice> Choices { get; init; }

    public Usage? Usage { get; init; }
}

public sealed record ChatChunkChoice
{
    public required int Index { get; init; }

    public required ChatDelta Delta { get; init; }

    public ChatLogprobs? Logprobs { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public FinishReason? FinishReason { get; init; }

    public DisaggregatedParams? DisaggregatedParams { get; init; }
}

public sealed record ChatDelta
{
    public string? Role { get; init; }

    public string? Content { get; init; }
}
