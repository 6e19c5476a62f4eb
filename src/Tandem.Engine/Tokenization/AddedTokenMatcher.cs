namespace Tandem.Engine.Tokenization;

/// <summary>One piece of the input: an added token's id, or a range of text to normalize and merge.</summary>
internal readonly record struct TextSegment(int Start, int Length, int AddedTokenId)
{
    public bool IsAddedToken => AddedTokenId >= 0;
}

/// <summary>
/// Splits text around added tokens, leftmost match first and the longest token on ties, as
/// Hugging Face tokenizers' added vocabulary does.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, AddedToken[]> byFirstChar;
    private readonly System.Buffers.SearchValues<char> firstChars;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
        firstChars = System.Buffers.SearchValues.Create([.. byFirstChar.Keys]);
    }

    public List<TextSegment> Split(string text)
    {
        var segments = new List<TextSegment>();
        var textStart = 0;
        var search = 0;
        while (search < text.Length)
        {
            var offset = text.AsSpan(search).IndexOfAny(firstChars);
            if (offset < 0)
            {
                break;
            }

            var at = search + offset;
            var token = MatchAt(text, at);
            if (token is null)
            {
                search = at + 1;
                continue;
            }

            var textEnd = at;
            if (token.LeftStrip)
            {
                while (textEnd > textStart && char.IsWhiteSpace(text[textEnd - 1]))
                {
                    textEnd--;
                }
            }

            if (textEnd > textStart)
            {
                segments.Add(new TextSegment(textStart, textEnd - textStart, -1));
            }

            segments.Add(new TextSegment(at, token.Content.Length, token.Id));
            search = at + token.Content.Length;
            if (token.RightStrip)
            {
                while (search < text.Length && char.IsWhiteSpace(text[search]))
                {
                    search++;
                }
            }

            textStart = search;
        }

        if (textStart < text.Length)
        {
            segments.Add(new TextSegment(textStart, text.Length - textStart, -1));
        }

        return segments;
    }

    private AddedToken? MatchAt(string text, int at)
    {
        var rest = text.AsSpan(at);
        foreach (var candidate in byFirstChar[text[at]])
        {
            if (rest.StartsWith(candidate.Content, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        return null;
    }
}
