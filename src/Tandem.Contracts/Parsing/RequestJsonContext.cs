using System.Text.Json.Serialization;

namespace Tandem.Contracts.Parsing;

/// <summary>Reads request bodies into their all-optional wire shape; internal because those types are.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CompletionRequestJson))]
[JsonSerializable(typeof(ChatCompletionRequestJson))]
internal sealed partial class RequestJsonContext : JsonSerializerContext;
