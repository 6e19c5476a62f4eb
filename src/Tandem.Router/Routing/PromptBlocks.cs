using Tandem.Contracts;
using Tandem.Engine.ChatTemplates;
using Tandem.Engine.KvCache;
using Tandem.Engine.Runtime;

namespace Tandem.Router.Routing;

/// <summary>
/// The block hashes a KV-aware policy matches a request by: the prompt's token ids as a worker computes them (a completion's
/// text tokenized, its ids as given; a chat's <c>prompt_token_ids</c>, else its messages through the chat template), and
/// the chained hashes of their full blocks before the last token, which is always computed.
/// </summary>
public sealed class PromptBlocks(PromptEncoder encoder, int tokensPerBlock)
{
    public int TokensPerBlock { get; } = tokensPerBlock;

    /// <summary>The hashes, or null when the prompt cannot be tokenized here (the request is then placed by load).</summary>
    public HashedPrompt? Hash(GenerationRequest request)
    {
        try
        {
            var tokens = Tokens(request);
            return new HashedPrompt(tokens.Length == 0 ? [] : BlockHasher.Chain(tokens.AsSpan(0, tokens.Length - 1), TokensPerBlock), tokens.Length);
        }
        catch (ChatTemplateException)
        {
            return null; // the worker answers the error; routing needs no blocks for it
        }
    }

    private int[] Tokens(GenerationRequest request) => request switch
    {
        CompletionRequest c => c.Prompt.IsText ? encoder.Encode(c.Prompt.Text) : [.. c.Prompt.TokenIds],
        ChatCompletionRequest chat when chat.PromptTokenIds is { } ids => [.. ids],
        ChatCompletionRequest chat => encoder.EncodeChat([.. chat.Messages.Select(m => new ChatMessage(m.Role, m.Content ?? string.Empty))]),
        _ => [],
    };
}

/// <summary>A prompt's block hashes (<see cref="PromptBlocks"/>) and its length in tokens.</summary>
public sealed record HashedPrompt(IReadOnlyList<ulong> Blocks, int Tokens);
