using System.Text.Json.Serialization;
using Tandem.Contracts.Parsing;

namespace Tandem.Contracts;

/// <summary>
/// TensorRT-LLM's <c>disaggregated_params</c>, on requests and on response choices.
/// <see cref="CtxRequestId"/> is a 64-bit integer: TensorRT-LLM sends a JSON number (snowflake ids
/// stay below 2^63); a string holding a decimal integer is accepted too, and it is always written as a number.
/// <see cref="EncodedOpaqueState"/> stays base64 text; the server decodes it.
/// </summary>
public sealed record DisaggregatedParams
{
    public required DisaggregatedRequestType RequestType { get; init; }

    public IReadOnlyList<int>? FirstGenTokens { get; init; }

    [JsonConverter(typeof(CtxRequestIdConverter))]
    public long? CtxRequestId { get; init; }

    public string? EncodedOpaqueState { get; init; }

    public IReadOnlyList<int>? DraftTokens { get; init; }

    /// <summary>Tandem's own: <see cref="KvTransferOutcomes.Recomputed"/> when the transfer failed and the prompt was recomputed.</summary>
    public string? KvTransfer { get; init; }
}
