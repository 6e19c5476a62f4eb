using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tandem.Contracts.Parsing;

/// <summary>Reads <c>request_type</c> case-insensitively (TensorRT-LLM lower-cases it) and writes snake case.</summary>
internal sealed class DisaggregatedRequestTypeConverter : JsonConverter<DisaggregatedRequestType>
{
    public override DisaggregatedRequestType Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw ContractViolationException.InvalidType("", "a string");

        var text = reader.GetString()!;
        return text.ToLowerInvariant() switch
        {
            "context_only" => DisaggregatedRequestType.ContextOnly,
            "generation_only" => DisaggregatedRequestType.GenerationOnly,
            "context_and_generation" => DisaggregatedRequestType.ContextAndGeneration,
            _ => throw new ContractViolationException("", param =>
                $"Invalid '{param}': expected 'context_only', 'generation_only' or 'context_and_generation', but got '{text}'."),
        };
    }

    public override void Write(Utf8JsonWriter writer, DisaggregatedRequestType value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value switch
        {
            DisaggregatedRequestType.ContextOnly => "context_only",
            DisaggregatedRequestType.GenerationOnly => "generation_only",
            DisaggregatedRequestType.ContextAndGeneration => "context_and_generation",
            _ => throw new ArgumentOutOfRangeException(nameof(value), value, null),
        });
}
