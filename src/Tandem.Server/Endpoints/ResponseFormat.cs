using System.Buffers;
using Microsoft.AspNetCore.Http;
using Tandem.Contracts;
using Tandem.Server.Generation;

namespace Tandem.Server.Endpoints;

/// <summary>Identity of one response: the id, creation time and model name every chunk repeats.</summary>
internal readonly record struct ResponseHeader(string Id, long Created, string Model);

/// <summary>How one endpoint shapes its output (completions or chat), streamed or whole.</summary>
internal abstract class ResponseFormat
{
    /// <summary>Written before any generated text (chat: the assistant role; completions: the echoed prompt).</summary>
    public abstract void WriteStart(IBufferWriter<byte> output, in ResponseHeader header, GenerationPlan plan);

    public abstract void WriteDelta(IBufferWriter<byte> output, in ResponseHeader header, TextDelta delta, int textOffset);

    public abstract void WriteFinish(IBufferWriter<byte> output, in ResponseHeader header, FinishReason reason, DisaggregatedParams? disaggregated);

    public abstract void WriteUsage(IBufferWriter<byte> output, in ResponseHeader header, Usage usage);

    public abstract Task WriteWholeAsync(HttpResponse response, ResponseHeader header, GenerationPlan plan, string text, IReadOnlyList<GeneratedToken> tokens, FinishReason? reason, Usage usage, DisaggregatedParams? disaggregated, IReadOnlyList<int>? promptTokenIds);
}
