using System.Text.Json.Serialization;

namespace Tandem.Contracts;

/// <summary>A <c>POST /v1/chat/completions</c> body after parsing.</summary>
public sealed record ChatCompletionRequest : GenerationRequest
{
    /// <summary>Empty only when <see cref="PromptTokenIds"/> is given.</summary>
    public IReadOnlyList<ChatRequestMessage> Messages { get; init; } = [];

    public int? MaxCompletionTokens { get; init; }

    public bool? Logprobs { get; init; }

    public int? TopLogprobs { get; init; }

    /// <summary>TensorRT-LLM extension: when present the server skips the chat template and tokenizer.</summary>
    public IReadOnlyList<int>? PromptTokenIds { get; init; }

    /// <summary><c>max_completion_tokens</c>, else the older <c>max_tokens</c>.</summary>
    [JsonIgnore]
    public int? MaxOutputTokens => MaxCompletionTokens ?? MaxTokens;
}
