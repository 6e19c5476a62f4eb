using System.Text;

namespace Tandem.Engine.Tokenization;

/// <summary>When the meta-space "▁" is put in front of a piece of text before it is merged.</summary>
internal enum DummyPrefix
{
    Never,

    /// <summary>Every piece of text between added tokens (the legacy Llama <c>Prepend</c> normalizer, SentencePiece).</summary>
    EverySegment,

    /// <summary>Only the piece that starts the whole input (Metaspace <c>prepend_scheme: first</c>).</summary>
    FirstSegment,
}

/// <summary>
/// Turns a piece of raw text (between added tokens) into the "▁"-escaped form that BPE merges:
/// SentencePiece's normalizer, or the equivalent Hugging Face Prepend/Replace normalizer or
/// Metaspace pre-tokenizer.
/// </summary>
internal sealed class SentencePieceNormalizer
{
    public const char MetaSpace = '\u2581';

    public required DummyPrefix Prefix { get; init; }

    /// <summary>Spaces become "▁" (SentencePiece <c>escape_whitespaces</c>, the Replace normalizer, Metaspace).</summary>
    public bool EscapeSpaces { get; init; } = true;

    /// <summary>Metaspace pre-tokenizer: no prefix when the escaped text already starts with "▁".</summary>
    public bool PrefixOnlyWhenMissing { get; init; }

    /// <summary>SentencePiece <c>remove_extra_whitespaces</c>: trim, and collapse runs of spaces to one.</summary>
    public bool RemoveExtraWhitespace { get; init; }

    /// <summary>Metaspace <c>split: true</c>: merge each "▁"-started word on its own.</summary>
    public bool SplitWords { get; init; }

    public static SentencePieceNormalizer Llama { get; } = new() { Prefix = DummyPrefix.EverySegment };

    public void Encode(ReadOnlySpan<char> segment, bool atTextStart, BpeModel model, List<int> output)
    {
        var escaped = Escape(segment, atTextStart);
        if (!SplitWords)
        {
            model.Encode(escaped, output);
            return;
        }

        var span = escaped.AsSpan();
        while (!span.IsEmpty)
        {
            var end = span[1..].IndexOf(MetaSpace);
            var word = end < 0 ? span : span[..(end + 1)];
            model.Encode(word, output);
            span = span[word.Length..];
        }
    }

    private string Escape(ReadOnlySpan<char> segment, bool atTextStart)
    {
        if (RemoveExtraWhitespace)
        {
            segment = segment.Trim(' ');
        }

        if (segment.IsEmpty)
        {
            return string.Empty;
        }

        var builder = new StringBuilder(segment.Length + 1);
        var prefix = Prefix == DummyPrefix.EverySegment || (Prefix == DummyPrefix.FirstSegment && atTextStart);
        if (prefix && !(PrefixOnlyWhenMissing && (segment[0] == ' ' || segment[0] == MetaSpace)))
        {
            builder.Append(MetaSpace);
        }

        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (c == ' ' && EscapeSpaces)
            {
                if (RemoveExtraWhitespace && i > 0 && segment[i - 1] == ' ')
                {
                    continue;
                }

                c = MetaSpace;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
