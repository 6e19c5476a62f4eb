using Tandem.Engine.KvCache;
using Tandem.Engine.Sampling;

namespace Tandem.Engine.Execution;

/// <summary>The disaggregation phase a request runs (TensorRT-LLM's <c>request_type</c>).</summary>
public enum RequestType
{
    /// <summary>Prompt and decoding on this engine.</summary>
    ContextAndGeneration,

    /// <summary>Prompt only: stops after its first sampled token and keeps its KV blocks until released.</summary>
    ContextOnly,

    /// <summary>Decoding only: starts from imported KV blocks and the first tokens another engine sampled.</summary>
    GenerationOnly,
}

/// <summary>One completion as the engine sees it: tokens and parameters, no JSON.</summary>
public sealed record EngineRequest
{
    public required string Id { get; init; }

    public required IReadOnlyList<int> PromptTokens { get; init; }

    public SamplingParams Sampling { get; init; } = new();

    /// <summary>Most tokens to generate, counting the first tokens of a generation-only request.</summary>
    public int MaxTokens { get; init; } = 16;

    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    public bool IgnoreEos { get; init; }

    public RequestType Type { get; init; } = RequestType.ContextAndGeneration;

    /// <summary>Generation-only: the prompt's KV cache built by a context engine; null to recompute the prompt here instead.</summary>
    public KvSnapshot? ImportedKv { get; init; }

    /// <summary>Generation-only: tokens the context engine already sampled (at least one).</summary>
    public IReadOnlyList<int> FirstTokens { get; init; } = [];
}

public enum FinishReason
{
    /// <summary>Not finished (the event carries a token).</summary>
    None,

    /// <summary>An end-of-sequence or stop token was sampled.</summary>
    Stop,

    /// <summary><c>max_tokens</c> or the maximum sequence length was reached.</summary>
    Length,

    /// <summary>A context-only request sampled its first token; its KV blocks are held for transfer.</summary>
    ContextDone,

    Cancelled,

    /// <summary>The request could not run; the event's message says why.</summary>
    Rejected,

    /// <summary>An internal error ended the request; the event's message says why.</summary>
    Failed,
}
