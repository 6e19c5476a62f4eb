using System.Text.Json.Serialization;

namespace Tandem.Contracts.Parsing;

internal sealed class DisaggregatedParamsJson
{
    public DisaggregatedRequestType? RequestType { get; init; }

    public IReadOnlyList<int>? FirstGenTokens { get; init; }

    [JsonConverter(typeof(CtxRequestIdConverter))]
    public long? CtxRequestId { get; init; }

    public string? EncodedOpaqueState { get; init; }

    public IReadOnlyList<int>? DraftTokens { get; init; }

    public string? KvTransfer { get; init; }

    /// <summary>Call after <see cref="RequestType"/> was checked present.</summary>
    public DisaggregatedParams ToParams() => new()
    {
        RequestType = RequestType!.Value,
        FirstGenTokens = FirstGenTokens,
        CtxRequestId = CtxRequestId,
        EncodedOpaqueState = EncodedOpaqueState,
        DraftTokens = DraftTokens,
        KvTransfer = KvTransfer,
    };
}
