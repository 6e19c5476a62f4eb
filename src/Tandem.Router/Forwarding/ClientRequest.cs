using System.Text.Json.Nodes;
using Tandem.Contracts;

namespace Tandem.Router.Forwarding;

/// <summary>
/// A client's completion or chat request: checked with <see cref="RequestParser"/> (so a bad body is refused here with the
/// worker's own 400 message), and kept as JSON so the legs forward every field the client sent, unknown ones included.
/// </summary>
internal sealed record ClientRequest(string Path, bool IsChat, JsonObject Json, bool Stream, bool IncludeUsage, long PromptWeight, GenerationRequest Parsed)
{
    public const string CompletionsPath = "/v1/completions";
    public const string ChatPath = "/v1/chat/completions";

    public static (ClientRequest? Request, RequestError? Error) Parse(byte[] body, bool chat)
    {
        GenerationRequest parsed;
        long weight;
        if (chat)
        {
            var result = RequestParser.ParseChat(body);
            if (!result.IsSuccess)
            {
                return (null, result.Error);
            }

            parsed = result.Value;
            weight = result.Value.PromptTokenIds?.Count ?? result.Value.Messages.Sum(m => (long)(m.Content?.Length ?? 0));
        }
        else
        {
            var result = RequestParser.ParseCompletion(body);
            if (!result.IsSuccess)
            {
                return (null, result.Error);
            }

            parsed = result.Value;
            weight = result.Value.Prompt.IsText ? result.Value.Prompt.Text.Length : result.Value.Prompt.TokenIds.Count;
        }

        var json = JsonNode.Parse(body)!.AsObject();
        return (new ClientRequest(chat ? ChatPath : CompletionsPath, chat, json, parsed.Stream == true, parsed.StreamOptions?.IncludeUsage == true, weight, parsed), null);
    }
}
