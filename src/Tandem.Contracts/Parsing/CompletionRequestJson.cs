namespace Tandem.Contracts.Parsing;

internal sealed class CompletionRequestJson : GenerationRequestJson
{
    public PromptInput? Prompt { get; init; }

    public int? Logprobs { get; init; }

    public bool? Echo { get; init; }

    public ParseResult<CompletionRequest> Bind()
    {
        var error = CheckShared()
            ?? (Prompt is null ? RequestChecks.Missing("prompt") : null)
            ?? RequestChecks.Range("logprobs", Logprobs, Logprobs is >= 0 and <= 20, "a value in [0, 20]");
        if (error is not null)
            return error;

        return Fill<CompletionRequest>(new CompletionRequest { Model = Model!, Prompt = Prompt!, Logprobs = Logprobs, Echo = Echo });
    }
}
