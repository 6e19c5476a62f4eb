using System.Buffers.Text;
using System.Text.Json.Serialization;

namespace Tandem.Contracts.Parsing;

/// <summary>The shared request fields as they arrive: everything optional, so that absence is ours to report.</summary>
internal abstract class GenerationRequestJson
{
    public string? Model { get; init; }

    public int? MaxTokens { get; init; }

    public double? Temperature { get; init; }

    public double? TopP { get; init; }

    public int? TopK { get; init; }

    public double? MinP { get; init; }

    public long? Seed { get; init; }

    [JsonConverter(typeof(StopSequencesConverter))]
    public IReadOnlyList<string>? Stop { get; init; }

    public IReadOnlyList<int>? StopTokenIds { get; init; }

    public bool? IgnoreEos { get; init; }

    public int? N { get; init; }

    public double? PresencePenalty { get; init; }

    public double? FrequencyPenalty { get; init; }

    public double? RepetitionPenalty { get; init; }

    public bool? Stream { get; init; }

    public StreamOptions? StreamOptions { get; init; }

    public string? User { get; init; }

    public DisaggregatedParamsJson? DisaggregatedParams { get; init; }

    protected RequestError? CheckShared() =>
        (Model is null ? RequestChecks.Missing("model") : null)
        ?? RequestChecks.Range("max_tokens", MaxTokens, MaxTokens >= 1, "a value >= 1")
        ?? RequestChecks.Range("temperature", Temperature, Temperature >= 0, "a value >= 0")
        ?? RequestChecks.Range("top_p", TopP, TopP is > 0 and <= 1, "a value in (0, 1]")
        ?? RequestChecks.Range("top_k", TopK, TopK >= -1, "-1 (disabled) or a value >= 0")
        ?? RequestChecks.Range("min_p", MinP, MinP is >= 0 and <= 1, "a value in [0, 1]")
        ?? RequestChecks.Range("n", N, N >= 1, "a value >= 1")
        ?? RequestChecks.Range("presence_penalty", PresencePenalty, PresencePenalty is >= -2 and <= 2, "a value in [-2, 2]")
        ?? RequestChecks.Range("frequency_penalty", FrequencyPenalty, FrequencyPenalty is >= -2 and <= 2, "a value in [-2, 2]")
        ?? RequestChecks.Range("repetition_penalty", RepetitionPenalty, RepetitionPenalty > 0, "a value > 0")
        ?? CheckDisaggregatedParams();

    private RequestError? CheckDisaggregatedParams()
    {
        if (DisaggregatedParams is not { } disaggregated)
            return null;
        if (disaggregated.RequestType is null)
            return RequestChecks.Missing("disaggregated_params.request_type");
        if (disaggregated.EncodedOpaqueState is { } state && !Base64.IsValid(state))
            return new RequestError("Invalid 'disaggregated_params.encoded_opaque_state': expected base64 text.", "disaggregated_params.encoded_opaque_state");
        return null;
    }

    protected TRequest Fill<TRequest>(GenerationRequest request)
        where TRequest : GenerationRequest => (TRequest)(request with
        {
            MaxTokens = MaxTokens,
            Temperature = Temperature,
            TopP = TopP,
            TopK = TopK,
            MinP = MinP,
            Seed = Seed,
            Stop = Stop,
            StopTokenIds = StopTokenIds,
            IgnoreEos = IgnoreEos,
            N = N,
            PresencePenalty = PresencePenalty,
            FrequencyPenalty = FrequencyPenalty,
            RepetitionPenalty = RepetitionPenalty,
            Stream = Stream,
            StreamOptions = StreamOptions,
            User = User,
            DisaggregatedParams = DisaggregatedParams?.ToParams(),
        });
}
