using System.Text.Json.Serialization;

namespace Tandem.Contracts;

/// <summary>Source-generated JSON for every contract: snake_case names, nulls omitted unless OpenAI always writes them.
/// Request bodies are read through <see cref="RequestParser"/>, which reports errors as values.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CompletionRequest))]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(CompletionResponse))]
[JsonSerializable(typeof(CompletionChunk))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(DisaggregatedParams))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
