namespace Tandem.Router.Client;

/// <summary>What <c>tandem client</c> sends (the flags of TensorRT-LLM's disagg_client.py).</summary>
public sealed record ClientOptions
{
    public required Uri Endpoint { get; init; }

    public required string Model { get; init; }

    public required IReadOnlyList<string> Prompts { get; init; }

    public int MaxTokens { get; init; } = 100;

    public double Temperature { get; init; }

    /// <summary>Use <c>/v1/chat/completions</c> (a system and a user message) instead of <c>/v1/completions</c>.</summary>
    public bool Chat { get; init; }

    public bool Streaming { get; init; }

    public bool IgnoreEos { get; init; }

    /// <summary>When set, wait up to this long for the endpoint's /health to answer 200 before sending.</summary>
    public TimeSpan? ServerStartTimeout { get; init; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>One prompt's answer: its text, token counts and timing, or the error that ended it.</summary>
public sealed record ClientResult(string Prompt, string? Text, int PromptTokens, int CompletionTokens, TimeSpan Latency, string? Error);
