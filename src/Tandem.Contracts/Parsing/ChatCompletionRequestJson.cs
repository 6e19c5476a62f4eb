namespace Tandem.Contracts.Parsing;

internal sealed class ChatCompletionRequestJson : GenerationRequestJson
{
    public IReadOnlyList<ChatMessageJson?>? Messages { get; init; }

    public int? MaxCompletionTokens { get; init; }

    public bool? Logprobs { get; init; }

    public int? TopLogprobs { get; init; }

    public IReadOnlyList<int>? PromptTokenIds { get; init; }

    public ParseResult<ChatCompletionRequest> Bind()
    {
        var error = CheckShared()
            ?? RequestChecks.Range("max_completion_tokens", MaxCompletionTokens, MaxCompletionTokens >= 1, "a value >= 1")
            ?? RequestChecks.Range("top_logprobs", TopLogprobs, TopLogprobs is >= 0 and <= 20, "a value in [0, 20]")
            ?? (TopLogprobs > 0 && Logprobs != true
                ? new RequestError("Invalid 'top_logprobs': 'logprobs' must be true when 'top_logprobs' is used.", "top_logprobs")
                : null);
        if (error is not null)
            return error;

        var messages = new ChatRequestMessage[Messages?.Count ?? 0];
        if (Messages is null || Messages.Count == 0)
        {
            if (PromptTokenIds is null)
                return Messages is null ? RequestChecks.Missing("messages") : new RequestError("Invalid 'messages': expected at least one message.", "messages");
        }
        else
        {
            for (var i = 0; i < messages.Length; i++)
            {
                var message = Messages[i];
                if (message?.Role is not { } role)
                    return RequestChecks.Missing($"messages[{i}].role");
                if (message.Content is null && role != "assistant")
                    return RequestChecks.Missing($"messages[{i}].content");
                messages[i] = new ChatRequestMessage(role, message.Content) { Name = message.Name };
            }
        }

        return Fill<ChatCompletionRequest>(new ChatCompletionRequest
        {
            Model = Model!,
            Messages = messages,
            MaxCompletionTokens = MaxCompletionTokens,
            Logprobs = Logprobs,
            TopLogprobs = TopLogprobs,
            PromptTokenIds = PromptTokenIds,
        });
    }
}
