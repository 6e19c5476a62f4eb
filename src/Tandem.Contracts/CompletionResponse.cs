using System.Text.Json.Serialization;

namespace Tandem.Contracts;

public sealed record CompletionResponse
{
    public required string Id { get; init; }

    [JsonPropertyName("object")]
    public string ObjectType { get; } = "text_completion";

    public required long Created { get; init; }

    public required string Model { get; init; }

    public required IReadOnlyList<CompletionChoice> Choices { get; init; }

    public Usage? Usage { get; init; }

    /// <summary>Filled for context-only requests so the generation server need not tokenize again.</summary>
    public IReadOnlyList<int>? PromptTokenIds { get; init; }
}
