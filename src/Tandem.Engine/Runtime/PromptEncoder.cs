using Tandem.Engine.ChatTemplates;
using Tandem.Engine.Gguf;
using Tandem.Engine.Tokenization;

namespace Tandem.Engine.Runtime;

/// <summary>
/// A model's prompt side without its weights: the tokenizer and chat template, turning a completion's text or a chat's
/// messages into the token ids a worker would compute (the same code a <see cref="LocalModel"/> uses). A KV-aware router
/// hashes these ids into the blocks a worker caches.
/// </summary>
public sealed class PromptEncoder(Tokenizer tokenizer, ChatTemplate template)
{
    public Tokenizer Tokenizer { get; } = tokenizer;

    public ChatTemplate Template { get; } = template;

    /// <summary>
    /// The tokenizer and template of a model directory (Hugging Face layout) or GGUF file, as <see cref="LocalModel.Load"/>
    /// reads them; a model without a template gets <see cref="ChatTemplate.Fallback"/>.
    /// </summary>
    public static PromptEncoder Load(string directoryOrGguf)
    {
        var (tokenizer, template) = LoadParts(directoryOrGguf);
        return new PromptEncoder(tokenizer, template ?? ChatTemplate.Fallback);
    }

    /// <summary>The tokenizer and the model's own chat template (null when it has none) of a directory or a GGUF file's metadata.</summary>
    internal static (Tokenizer Tokenizer, ChatTemplate? Template) LoadParts(string directoryOrGguf)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directoryOrGguf);
        if (File.Exists(directoryOrGguf) && directoryOrGguf.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            using var file = GgufFile.Open(directoryOrGguf);
            var source = Tokenizer.GgufChatTemplate(file);
            return (Tokenizer.FromGguf(file), source is null ? null : ChatTemplate.Parse(source));
        }

        return (Tokenizer.Load(directoryOrGguf), ChatTemplate.FromTokenizerConfig(directoryOrGguf));
    }

    /// <summary>A completion's text prompt, as a worker tokenizes it.</summary>
    public int[] Encode(string text) => Tokenizer.Encode(text);

    /// <summary>Renders messages with the chat template and tokenizes the result (the template supplies BOS when it has one).</summary>
    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages) => EncodeChat(Template, Tokenizer, messages);

    internal static int[] EncodeChat(ChatTemplate template, Tokenizer tokenizer, IReadOnlyList<ChatMessage> messages)
    {
        var text = template.Render(messages, addGenerationPrompt: true, tokenizer.BosToken, tokenizer.EosToken);
        var templateHasBos = tokenizer.BosToken is { Length: > 0 } bos && text.StartsWith(bos, StringComparison.Ordinal);
        return tokenizer.Encode(text, addSpecialTokens: !templateHasBos);
    }
}
