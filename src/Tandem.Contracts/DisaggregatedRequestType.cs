using System.Text.Json.Serialization;
using Tandem.Contracts.Parsing;

namespace Tandem.Contracts;

/// <summary>Which phases a worker runs for a request (TensorRT-LLM's <c>request_type</c>).</summary>
[JsonConverter(typeof(DisaggregatedRequestTypeConverter))]
public enum DisaggregatedRequestType
{
    ContextAndGeneration,
    ContextOnly,
    GenerationOnly,
}
