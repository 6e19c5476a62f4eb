using System.Text.Json.Serialization;

namespace Tandem.Contracts;

[JsonConverter(typeof(JsonStringEnumConverter<FinishReason>))]
public enum FinishReason
{
    [JsonStringEnumMemberName("stop")]
    Stop,

    [JsonStringEnumMemberName("length")]
    Length,

    /// <summary>A context-only request that stopped after its first token and continues on a generation server.</summary>
    [JsonStringEnumMemberName("not_finished")]
    NotFinished,
}
