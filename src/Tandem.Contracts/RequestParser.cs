using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tandem.Contracts.Parsing;

namespace Tandem.Contracts;

/// <summary>
/// Parses request bodies into typed requests. Malformed JSON, wrong types, missing required fields and
/// values out of their basic ranges come back as a <see cref="RequestError"/>; unknown fields are ignored.
/// Limits that depend on the served model (max_seq_len, vocabulary) are the server's to check.
/// </summary>
public static class RequestParser
{
    public static ParseResult<CompletionRequest> ParseCompletion(ReadOnlySpan<byte> utf8Json) =>
        Deserialize(utf8Json, RequestJsonContext.Default.CompletionRequestJson, out var json) ?? json!.Bind();

    public static ParseResult<ChatCompletionRequest> ParseChat(ReadOnlySpan<byte> utf8Json) =>
        Deserialize(utf8Json, RequestJsonContext.Default.ChatCompletionRequestJson, out var json) ?? json!.Bind();

    private static RequestError? Deserialize<T>(ReadOnlySpan<byte> utf8Json, JsonTypeInfo<T> typeInfo, out T? value)
        where T : class
    {
        value = null;
        if (CheckSyntax(utf8Json) is { } syntaxError)
            return syntaxError;
        try
        {
            value = JsonSerializer.Deserialize(utf8Json, typeInfo);
        }
        catch (JsonException exception)
        {
            return JsonErrorTranslator.Translate(exception, typeInfo);
        }

        return value is null ? new RequestError("The request body must be a JSON object.", null) : null;
    }

    /// <summary>
    /// A reader pass before binding, so that syntax errors (reported with their position) are never
    /// confused with type errors, and the body is known to be an object.
    /// </summary>
    private static RequestError? CheckSyntax(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.IsEmpty)
            return new RequestError("The request body is empty; expected a JSON object.", null);

        var reader = new Utf8JsonReader(utf8Json);
        try
        {
            if (reader.Read() && reader.TokenType != JsonTokenType.StartObject)
                return new RequestError("The request body must be a JSON object.", null);
            while (reader.Read())
            {
            }
        }
        catch (JsonException exception)
        {
            var detail = exception.Message;
            var suffix = detail.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (suffix >= 0)
                detail = detail[..suffix];
            return new RequestError(
                $"Malformed JSON at line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1}: {detail}", null);
        }

        return null;
    }
}
