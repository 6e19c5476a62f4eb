using System.Buffers;
using Microsoft.AspNetCore.Http;
using Tandem.Contracts;
using Tandem.Server.Generation;

namespace Tandem.Server.Endpoints;

/// <summary>Identity of one response: the id, creation time and model name every chunk repeats.</summary>
internal readonly record struct ResponseHeader(string Id, long Created, string Model);

/// <summary>One choice of a whole (non-streamed) answer: its text, its tokens (for logprobs), why it ended.</summary>
internal sealed record ChoiceOutput(string Text, IReadOnlyList<GeneratedToken> Tokens, FinishReason Reason, DisaggregatedParams? Disaggregated);

/// <summary>
/// How one endpoint shapes its output (completions or chat), streamed or whole. Streamed chunks name
/// their choice by <c>index</c> (OpenAI's <c>n</c> choices interleave in one stream).
/// </summary>
internal abstract class ResponseFormat
{
    /// <summary>Written before any generated text of choice <paramref name="index"/> (chat: the assistant role; completions: the echoed prompt).</summary>
    public abstract void WriteStart(IBufferWriter<byte> output, in ResponseHeader header, GenerationPlan plan, int index);

    public abstract void WriteDelta(IBufferWriter<byte> output, in ResponseHeader header, TextDelta delta, int textOffset, int index);

    public abstract void WriteFinish(IBufferWriter<byte> output, in ResponseHeader header, FinishReason reason, DisaggregatedParams? disaggregated, int index);

    public abstract void WriteUsage(IBufferWriter<byte> output, in ResponseHeader header, Usage usage);

    public abstract Task WriteWholeAsync(HttpResponse response, ResponseHeader header, GenerationPlan plan, IReadOnlyList<ChoiceOutput> choices, Usage usage, IReadOnlyList<int>? promptTokenIds);
}
