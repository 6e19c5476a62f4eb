using System.Text.Json.Serialization;
using Tandem.Contracts.Parsing;

namespace Tandem.Contracts;

/// <summary>The fields that completion and chat requests share. A null field was absent: the server's default applies.</summary>
public abstract record GenerationRequest
{
    public required string Model { get; init; }

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

    public DisaggregatedParams? DisaggregatedParams { get; init; }
}
