using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tandem.Contracts.Parsing;

/// <summary>Reads a string, a token-id list, or a one-element list of either; refuses batches.</summary>
internal sealed class PromptInputConverter : JsonConverter<PromptInput>
{
    public const string BatchMessage = "prompt batches are not supported; send one prompt per request";

    private const string Expected = "a string or a list of token ids";

    public override PromptInput Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
            return PromptInput.FromText(reader.GetString()!);
        if (reader.TokenType != JsonTokenType.StartArray)
            throw ContractViolationException.InvalidType("", Expected);

        reader.Read();
        PromptInput prompt;
        switch (reader.TokenType)
        {
            case JsonTokenType.EndArray:
                throw new ContractViolationException("", param => $"Invalid '{param}': the prompt must not be an empty list.");
            case JsonTokenType.Number:
                return PromptInput.FromTokenIds(ReadTokenIds(ref reader, ""));
            case JsonTokenType.String:
                prompt = PromptInput.FromText(reader.GetString()!);
                break;
            case JsonTokenType.StartArray:
                reader.Read();
                prompt = PromptInput.FromTokenIds(ReadTokenIds(ref reader, "[0]"));
                break;
            default:
                throw ContractViolationException.InvalidType("[0]", Expected);
        }

        reader.Read();
        if (reader.TokenType != JsonTokenType.EndArray)
            throw new ContractViolationException("", _ => BatchMessage);
        return prompt;
    }

    public override void Write(Utf8JsonWriter writer, PromptInput value, JsonSerializerOptions options)
    {
        if (value.IsText)
        {
            writer.WriteStringValue(value.Text);
            return;
        }

        writer.WriteStartArray();
        foreach (var id in value.TokenIds)
            writer.WriteNumberValue(id);
        writer.WriteEndArray();
    }

    /// <summary>Reads ids from the current token up to and including the closing bracket.</summary>
    internal static int[] ReadTokenIds(ref Utf8JsonReader reader, string listPath)
    {
        var ids = new List<int>();
        for (; reader.TokenType != JsonTokenType.EndArray; reader.Read())
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var id) || id < 0)
                throw ContractViolationException.InvalidType($"{listPath}[{ids.Count}]", "a non-negative integer token id");
            ids.Add(id);
        }

        return [.. ids];
    }
}
