using System.Text.Json.Serialization;

namespace Tandem.Contracts.Parsing;

internal sealed class ChatMessageJson
{
    public string? Role { get; init; }

    [JsonConverter(typeof(MessageContentConverter))]
    public string? Content { get; init; }

    public string? Name { get; init; }
}
