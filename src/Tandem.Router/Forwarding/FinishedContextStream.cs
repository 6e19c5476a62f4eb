using System.Buffers;
using System.Text.Json;
using Tandem.Contracts;

namespace Tandem.Router.Forwarding;

/// <summary>
/// A context answer that already finished, as the SSE stream a streaming client expects — the chunks a worker would
/// have sent: (chat: the role chunk,) the content chunk, the finish chunk, the usage chunk if asked, <c>[DONE]</c>.
/// TensorRT-LLM sends only <c>[DONE]</c> here, losing the token; Tandem does not.
/// </summary>
internal static class FinishedContextStream
{
    /// <summary>Writes the events; false when the answer is not a valid completion (the caller answers 502).</summary>
    public static bool TryWrite(IBufferWriter<byte> output, ContextAnswer answer, ClientRequest request, out string? problem)
    {
        var body = LegRequests.ToUtf8(answer.AsClientResponse());
        try
        {
            problem = null;
            if (request.IsChat)
            {
                WriteChat(output, JsonSerializer.Deserialize(body, ContractsJsonContext.Default.ChatCompletionResponse)!, request.IncludeUsage);
            }
            else
            {
                WriteCompletion(output, JsonSerializer.Deserialize(body, ContractsJsonContext.Default.CompletionResponse)!, request.IncludeUsage);
            }

            ServerSentEvents.WriteDone(output);
            return true;
        }
        catch (JsonException e)
        {
            problem = $"answered a finished response that is not a valid {(request.IsChat ? "chat completion" : "completion")}: {e.Message}";
            return false;
        }
    }

    private static void WriteCompletion(IBufferWriter<byte> output, CompletionResponse response, bool includeUsage)
    {
        var choice = response.Choices[0];
        CompletionChunk Chunk(CompletionChoice c) => new() { Id = response.Id, Created = response.Created, Model = response.Model, Choices = [c] };
        if (choice.Text.Length > 0 || choice.Logprobs is not null)
        {
            ServerSentEvents.Write(output, Chunk(choice with { FinishReason = null }));
        }

        ServerSentEvents.Write(output, Chunk(new CompletionChoice { Index = choice.Index, Text = string.Empty, FinishReason = choice.FinishReason }));
        if (includeUsage && response.Usage is { } usage)
        {
            ServerSentEvents.Write(output, new CompletionChunk { Id = response.Id, Created = response.Created, Model = response.Model, Choices = [], Usage = usage });
        }
    }

    private static void WriteChat(IBufferWriter<byte> output, ChatCompletionResponse response, bool includeUsage)
    {
        var choice = response.Choices[0];
        ChatCompletionChunk Chunk(ChatChunkChoice c) => new() { Id = response.Id, Created = response.Created, Model = response.Model, Choices = [c] };
        ServerSentEvents.Write(output, Chunk(new ChatChunkChoice { Index = choice.Index, Delta = new ChatDelta { Role = choice.Message.Role, Content = string.Empty } }));
        if (!string.IsNullOrEmpty(choice.Message.Content) || choice.Logprobs is not null)
        {
            ServerSentEvents.Write(output, Chunk(new ChatChunkChoice { Index = choice.Index, Delta = new ChatDelta { Content = choice.Message.Content }, Logprobs = choice.Logprobs }));
        }

        ServerSentEvents.Write(output, Chunk(new ChatChunkChoice { Index = choice.Index, Delta = new ChatDelta(), FinishReason = choice.FinishReason }));
        if (includeUsage && response.Usage is { } usage)
        {
            ServerSentEvents.Write(output, new ChatCompletionChunk { Id = response.Id, Created = response.Created, Model = response.Model, Choices = [], Usage = usage });
        }
    }
}
