using System.Buffers;
using System.Text.Unicode;

namespace Tandem.Engine.Tokenization;

/// <summary>
/// Turns one request's generated ids into text as they arrive. A character spread over several
/// byte-fallback tokens is returned once, complete; all <see cref="Append"/> results followed by
/// <see cref="Flush"/> concatenate to <see cref="Tokenizer.Decode"/> of the same ids.
/// Not thread-safe: one instance per sequence.
/// </summary>
public sealed class StreamingDetokenizer
{
    private readonly Tokenizer tokenizer;
    private readonly bool skipSpecialTokens;
    private readonly byte[] pending = new byte[4];
    private int pendingCount;
    private bool emittedText;

    internal StreamingDetokenizer(Tokenizer tokenizer, bool skipSpecialTokens)
    {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Returns the text this id completes; "" while a UTF-8 character is still incomplete.</summary>
    public string Append(int id)
    {
        if (tokenizer.Skips(id, skipSpecialTokens))
        {
            return string.Empty;
        }

        var value = tokenizer.ByteValue(id);
        if (value >= 0)
        {
            pending[pendingCount++] = (byte)value;
            return Emit(DecodePending(isFinal: false));
        }

        var text = tokenizer.DecodedText(id);
        return Emit(pendingCount == 0 ? text : DecodePending(isFinal: true) + text);
    }

    /// <summary>Returns what is left: an incomplete UTF-8 character as U+FFFD.</summary>
    public string Flush() => Emit(DecodePending(isFinal: true));

    private string DecodePending(bool isFinal)
    {
        if (pendingCount == 0)
        {
            return string.Empty;
        }

        Span<char> chars = stackalloc char[8];
        var status = Utf8.ToUtf16(pending.AsSpan(0, pendingCount), chars, out var read, out var written, replaceInvalidSequences: true, isFinalBlock: isFinal);
        if (status is not (OperationStatus.Done or OperationStatus.NeedMoreData))
        {
            throw new InvalidOperationException($"UTF-8 decoding of {pendingCount} pending bytes returned {status}");
        }

        pending.AsSpan(read, pendingCount - read).CopyTo(pending);
        pendingCount -= read;
        return new string(chars[..written]);
    }

    private string Emit(string text)
    {
        if (!emittedText && text.Length > 0)
        {
            emittedText = true;
            if (tokenizer.StripsLeadingSpace && text[0] == ' ')
            {
                return text[1..];
            }
        }

        return text;
    }
}
