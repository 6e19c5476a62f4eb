using System.Text.Json.Serialization;

namespace Tandem.Contracts;

/// <summary>One server-sent event of a streamed completion; <see cref="Usage"/> only on the final usage chunk.</summary>
public sealed record CompletionChunk
{
    public required string Id { get; init; }

    [JsonPropertyName("object")]
    public string ObjectType { get; } = "text_completion";

    public required long Created { get; init; }

    public required string Model { get; init; }

    public required IReadOnlyList<CompletionChoice> Choices { get; init; }

    public Usage? Usage { get; init; }
}
