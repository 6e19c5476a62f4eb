using System.Text.Json.Serialization;

namespace Tandem.Contracts;

public sealed record ModelList
{
    [JsonPropertyName("object")]
    public string ObjectType { get; } = "list";

    public required IReadOnlyList<ModelCard> Data { get; init; }
}

public sealed record ModelCard
{
    public required string Id { get; init; }

    [JsonPropertyName("object")]
    public string ObjectType { get; } = "model";

    public required long Created { get; init; }

    public required string OwnedBy { get; init; }
}
