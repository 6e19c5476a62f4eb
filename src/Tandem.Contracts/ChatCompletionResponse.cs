using System.Text.Json.Serialization;

namespace Tandem.Contracts;

public sealed record ChatCompletionResponse
{
    public required string Id { get; init; }

    [JsonPropertyName("object")]
    public string ObjectType { get; } = "chat.completion";

    public required long Created { get; init; }

    public required string Model { get; init; }

    public required IReadOnlyList<ChatChoice> Choices { get; init; }

    public Usage? Usage { get; init; }

    /// <summary>Filled for context-only requests so the generation server need not apply the template again.</summary>
    public IReadOnlyList<int>? PromptTokenIds { get; init; }
}

public sealed record ChatChoice
{
    public required int Index { get; init; }

    public required ChatResponseMessage Message { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public ChatLogprobs? Logprobs { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public FinishReason? FinishReason { get; init; }

    public DisaggregatedParams? DisaggregatedParams { get; init; }
}

public sealed record ChatResponseMessage
{
    public string Role { get; init; } = "assistant";

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Content { get; init; }
}
