namespace Tandem.Contracts;

public sealed record Usage
{
    public required int PromptTokens { get; init; }

    public required int CompletionTokens { get; init; }

    public required int TotalTokens { get; init; }

    public PromptTokensDetails? PromptTokensDetails { get; init; }

    public static Usage Create(int promptTokens, int completionTokens, int cachedTokens = 0) => new()
    {
        PromptTokens = promptTokens,
        CompletionTokens = completionTokens,
        TotalTokens = promptTokens + completionTokens,
        PromptTokensDetails = new PromptTokensDetails { CachedTokens = cachedTokens },
    };
}

public sealed record PromptTokensDetails
{
    public int CachedTokens { get; init; }
}
