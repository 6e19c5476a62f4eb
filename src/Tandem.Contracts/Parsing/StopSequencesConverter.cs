using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tandem.Contracts.Parsing;

/// <summary>Reads <c>stop</c> as a string or a list of strings; writes a list.</summary>
internal sealed class StopSequencesConverter : JsonConverter<IReadOnlyList<string>>
{
    public override IReadOnlyList<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
            return [reader.GetString()!];
        if (reader.TokenType != JsonTokenType.StartArray)
            throw ContractViolationException.InvalidType("", "a string or a list of strings");

        var stops = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
                throw ContractViolationException.InvalidType($"[{stops.Count}]", "a string");
            stops.Add(reader.GetString()!);
        }

        return stops;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var stop in value)
            writer.WriteStringValue(stop);
        writer.WriteEndArray();
    }
}
