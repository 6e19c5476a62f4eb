using System.Buffers;
using Microsoft.AspNetCore.Http;
using Tandem.Contracts;
using Tandem.Engine.Tokenization;
using Tandem.Server.Generation;
using Tandem.Server.Http;

namespace Tandem.Server.Endpoints;

/// <summary><c>/v1/chat/completions</c>: <c>chat.completion</c> objects with an assistant message.</summary>
internal sealed class ChatFormat(Tokenizer tokenizer) : ResponseFormat
{
    public override void WriteStart(IBufferWriter<byte> output, in ResponseHeader header, GenerationPlan plan, int index) =>
        ServerSentEvents.Write(output, Chunk(header, new ChatChunkChoice { Index = index, Delta = new ChatDelta { Role = "assistant", Content = string.Empty } }));

    public override void WriteDelta(IBufferWriter<byte> output, in ResponseHeader header, TextDelta delta, int textOffset, int index) =>
        ServerSentEvents.Write(output, Chunk(header, new ChatChunkChoice
        {
            Index = index,
            Delta = new ChatDelta { Content = delta.Text },
            Logprobs = delta.Tokens.Count > 0 ? LogprobsMapper.Chat(delta.Tokens, tokenizer) : null,
        }));

    public override void WriteFinish(IBufferWriter<byte> output, in ResponseHeader header, FinishReason reason, DisaggregatedParams? disaggregated, int index) =>
        ServerSentEvents.Write(output, Chunk(header, new ChatChunkChoice { Index = index, Delta = new ChatDelta(), FinishReason = reason, DisaggregatedParams = disaggregated }));

    public override void WriteUsage(IBufferWriter<byte> output, in ResponseHeader header, Usage usage) =>
        ServerSentEvents.Write(output, new ChatCompletionChunk { Id = header.Id, Created = header.Created, Model = header.Model, Choices = [], Usage = usage });

    public override Task WriteWholeAsync(HttpResponse response, ResponseHeader header, GenerationPlan plan, IReadOnlyList<ChoiceOutput> choices, Usage usage, IReadOnlyList<int>? promptTokenIds)
    {
        var result = new ChatCompletionResponse
        {
            Id = header.Id,
            Created = header.Created,
            Model = header.Model,
            Choices = [.. choices.Select((c, i) => new ChatChoice
            {
                Index = i,
                Message = new ChatResponseMessage { Content = c.Text },
                FinishReason = c.Reason,
                Logprobs = plan.Logprobs is null ? null : LogprobsMapper.Chat(c.Tokens, tokenizer),
                DisaggregatedParams = c.Disaggregated,
            })],
            Usage = usage,
            PromptTokenIds = promptTokenIds,
        };
        return HttpResponses.WriteJsonAsync(response, result, ContractsJsonContext.Default.ChatCompletionResponse);
    }

    private static ChatCompletionChunk Chunk(in ResponseHeader header, ChatChunkChoice choice) =>
        new() { Id = header.Id, Created = header.Created, Model = header.Model, Choices = [choice] };
}
