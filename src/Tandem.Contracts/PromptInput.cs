using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using Tandem.Contracts.Parsing;

namespace Tandem.Contracts;

/// <summary>
/// A completion prompt after normalisation: exactly one of <see cref="Text"/> or <see cref="TokenIds"/>.
/// The JSON may be a string, a list of token ids, or a one-element list of either; it is written back
/// as a string or a list of token ids.
/// </summary>
[JsonConverter(typeof(PromptInputConverter))]
public sealed class PromptInput
{
    private PromptInput(string? text, IReadOnlyList<int>? tokenIds)
    {
        Text = text;
        TokenIds = tokenIds;
    }

    public string? Text { get; }

    public IReadOnlyList<int>? TokenIds { get; }

    [MemberNotNullWhen(true, nameof(Text))]
    [MemberNotNullWhen(false, nameof(TokenIds))]
    public bool IsText => Text is not null;

    public static PromptInput FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new PromptInput(text, null);
    }

    public static PromptInput FromTokenIds(IReadOnlyList<int> tokenIds)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        return new PromptInput(null, tokenIds);
    }

    public override string ToString() => IsText ? Text : $"[{TokenIds.Count} token ids]";
}
