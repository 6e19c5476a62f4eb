using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tandem.Contracts.Parsing;

/// <summary>Reads <c>ctx_request_id</c> from a JSON integer or a string holding one; writes a number.</summary>
internal sealed class CtxRequestIdConverter : JsonConverter<long>
{
    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var number))
            return number;
        if (reader.TokenType == JsonTokenType.String
            && long.TryParse(reader.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }

        throw ContractViolationException.InvalidType("", "an integer (or a string holding one)");
    }

    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(value);
}
