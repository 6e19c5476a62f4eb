using System.Text.Json.Serialization;

namespace Tandem.Contracts;

/// <summary>A choice of a completion response or of one streamed completion chunk.</summary>
public sealed record CompletionChoice
{
    public required int Index { get; init; }

    public required string Text { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public CompletionLogprobs? Logprobs { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public FinishReason? FinishReason { get; init; }

    public DisaggregatedParams? DisaggregatedParams { get; init; }
}
