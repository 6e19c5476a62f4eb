using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tandem.Contracts.Parsing;

/// <summary>Reads message content as a string or a list of <c>{"type": "text", "text": ...}</c> parts, joined with '\n'.</summary>
internal sealed class MessageContentConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
            return reader.GetString()!;
        if (reader.TokenType != JsonTokenType.StartArray)
            throw ContractViolationException.InvalidType("", "a string or a list of content parts");

        var text = new StringBuilder();
        for (var index = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; index++)
        {
            if (index > 0)
                text.Append('\n');
            text.Append(ReadTextPart(ref reader, $"[{index}]"));
        }

        return text.ToString();
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value);

    private static string ReadTextPart(ref Utf8JsonReader reader, string partPath)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw ContractViolationException.InvalidType(partPath, "a content part object");

        string? type = null;
        string? text = null;
        var textIsString = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "type" when reader.TokenType == JsonTokenType.String:
                    type = reader.GetString();
                    break;
                case "type":
                    throw ContractViolationException.InvalidType($"{partPath}.type", "a string");
                case "text":
                    textIsString = reader.TokenType == JsonTokenType.String;
                    text = textIsString ? reader.GetString() : null;
                    reader.Skip();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (type is null)
            throw new ContractViolationException($"{partPath}.type", param => $"Missing required parameter: '{param}'.");
        if (type != "text")
            throw new ContractViolationException($"{partPath}.type", param => $"Invalid '{param}': only 'text' content parts are supported, but got '{type}'.");
        if (!textIsString)
            throw ContractViolationException.InvalidType($"{partPath}.text", "a string");
        return text ?? throw new ContractViolationException($"{partPath}.text", param => $"Missing required parameter: '{param}'.");
    }
}
