namespace Tandem.Contracts;

/// <summary>A <c>POST /v1/completions</c> body after parsing.</summary>
public sealed record CompletionRequest : GenerationRequest
{
    public required PromptInput Prompt { get; init; }

    /// <summary>How many top alternatives to return per token (0..20); null for no logprobs.</summary>
    public int? Logprobs { get; init; }

    public bool? Echo { get; init; }
}
