using System.Buffers;
using Microsoft.AspNetCore.Http;
using Tandem.Contracts;
using Tandem.Engine.Tokenization;
using Tandem.Server.Generation;
using Tandem.Server.Http;

namespace Tandem.Server.Endpoints;

/// <summary><c>/v1/completions</c>: <c>text_completion</c> objects with text choices.</summary>
internal sealed class CompletionFormat(Tokenizer tokenizer) : ResponseFormat
{
    public override void WriteStart(IBufferWriter<byte> output, in ResponseHeader header, GenerationPlan plan, int index)
    {
        if (plan.EchoText is { Length: > 0 } echo)
        {
            ServerSentEvents.Write(output, Chunk(header, new CompletionChoice { Index = index, Text = echo }));
        }
    }

    public override void WriteDelta(IBufferWriter<byte> output, in ResponseHeader header, TextDelta delta, int textOffset, int index) =>
        ServerSentEvents.Write(output, Chunk(header, new CompletionChoice
        {
            Index = index,
            Text = delta.Text,
            Logprobs = delta.Tokens.Count > 0 ? LogprobsMapper.Completion(delta.Tokens, tokenizer, textOffset) : null,
        }));

    public override void WriteFinish(IBufferWriter<byte> output, in ResponseHeader header, FinishReason reason, DisaggregatedParams? disaggregated, int index) =>
        ServerSentEvents.Write(output, Chunk(header, new CompletionChoice { Index = index, Text = string.Empty, FinishReason = reason, DisaggregatedParams = disaggregated }));

    public override void WriteUsage(IBufferWriter<byte> output, in ResponseHeader header, Usage usage) =>
        ServerSentEvents.Write(output, new CompletionChunk { Id = header.Id, Created = header.Created, Model = header.Model, Choices = [], Usage = usage });

    public override Task WriteWholeAsync(HttpResponse response, ResponseHeader header, GenerationPlan plan, IReadOnlyList<ChoiceOutput> choices, Usage usage, IReadOnlyList<int>? promptTokenIds)
    {
        var echo = plan.EchoText ?? string.Empty;
        var result = new CompletionResponse
        {
            Id = header.Id,
            Created = header.Created,
            Model = header.Model,
            Choices = [.. choices.Select((c, i) => new CompletionChoice
            {
                Index = i,
                Text = echo + c.Text,
                FinishReason = c.Reason,
                Logprobs = plan.Logprobs is null ? null : LogprobsMapper.Completion(c.Tokens, tokenizer, echo.Length),
                DisaggregatedParams = c.Disaggregated,
            })],
            Usage = usage,
            PromptTokenIds = promptTokenIds,
        };
        return HttpResponses.WriteJsonAsync(response, result, ContractsJsonContext.Default.CompletionResponse);
    }

    private static CompletionChunk Chunk(in ResponseHeader header, CompletionChoice choice) =>
        new() { Id = header.Id, Created = header.Created, Model = header.Model, Choices = [choice] };
}
