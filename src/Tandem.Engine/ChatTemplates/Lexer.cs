using System.Globalization;
using System.Text;

namespace Tandem.Engine.ChatTemplates;

internal enum TokenKind
{
    Text,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
}

internal readonly record struct Token(TokenKind Kind, string Value, int Line, int Column)
{
    public bool IsName(string name) => Kind == TokenKind.Name && Value == name;

    public bool IsOperator(string op) => Kind == TokenKind.Operator && Value == op;
}

/// <summary>
/// Splits a template into text and tag tokens as Jinja2's lexer does: <c>{{ }}</c>, <c>{% %}</c>,
/// <c>{# #}</c>, <c>-</c>/<c>+</c> whitespace control, <c>trim_blocks</c>, <c>lstrip_blocks</c>,
/// <c>{% raw %}</c>, and one trailing newline dropped (<c>keep_trailing_newline=False</c>).
/// </summary>
internal sealed class Lexer
{
    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "=", "<", ">"];

    private readonly string source;
    private readonly bool trimBlocks;
    private readonly bool lstripBlocks;
    private readonly List<Token> tokens = [];
    private int pos;
    private int scannedTo;
    private int scannedLine = 1;
    private int scannedLineStart;

    private Lexer(string source, bool trimBlocks, bool lstripBlocks)
    {
        source = source.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (source.EndsWith('\n'))
        {
            source = source[..^1];
        }

        this.source = source;
        this.trimBlocks = trimBlocks;
        this.lstripBlocks = lstripBlocks;
    }

    public static List<Token> Tokenize(string source, bool trimBlocks, bool lstripBlocks)
    {
        var lexer = new Lexer(source, trimBlocks, lstripBlocks);
        lexer.Run();
        return lexer.tokens;
    }

    private void Run()
    {
        var lineStarting = true;
        while (pos < source.Length)
        {
            var start = FindTagStart(pos);
            if (start < 0)
            {
                Emit(TokenKind.Text, source[pos..], pos);
                break;
            }

            var text = source[pos..start];
            var opener = source[start + 1];
            var sign = start + 2 < source.Length ? source[start + 2] : '\0';
            if (sign == '-')
            {
                text = text.TrimEnd();
            }
            else if (sign != '+' && lstripBlocks && opener != '{')
            {
                var lineStart = text.LastIndexOf('\n') + 1;
                if ((lineStart > 0 || lineStarting) && lineStart < text.Length && string.IsNullOrWhiteSpace(text[lineStart..]))
                {
                    text = text[..lineStart];
                }
            }

            if (text.Length > 0)
            {
                Emit(TokenKind.Text, text, pos);
            }

            pos = start + 2 + (sign is '-' or '+' ? 1 : 0);
            switch (opener)
            {
                case '#':
                    SkipComment(start);
                    break;
                case '{':
                    Emit(TokenKind.VariableBegin, "{{", start);
                    LexInside(TokenKind.VariableEnd);
                    break;
                default:
                    if (!TryRaw(start))
                    {
                        Emit(TokenKind.BlockBegin, "{%", start);
                        LexInside(TokenKind.BlockEnd);
                    }

                    break;
            }

            lineStarting = pos > 0 && source[pos - 1] == '\n';
        }

        Emit(TokenKind.End, string.Empty, source.Length);
    }

    private int FindTagStart(int from)
    {
        for (var i = source.IndexOf('{', from); i >= 0 && i + 1 < source.Length; i = source.IndexOf('{', i + 1))
        {
            if (source[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    private void SkipComment(int start)
    {
        var end = source.IndexOf("#}", pos, StringComparison.Ordinal);
        if (end < 0)
        {
            throw Error("missing end of comment tag", start);
        }

        var stripAfter = end > pos && source[end - 1] == '-';
        var keep = end > pos && source[end - 1] == '+';
        pos = end + 2;
        AfterBlockEnd(stripAfter, keep);
    }

    private void AfterBlockEnd(bool stripAfter, bool keep)
    {
        if (stripAfter)
        {
            SkipWhitespace();
        }
        else if (trimBlocks && !keep && pos < source.Length && source[pos] == '\n')
        {
            pos++;
        }
    }

    private void SkipWhitespace()
    {
        while (pos < source.Length && char.IsWhiteSpace(source[pos]))
        {
            pos++;
        }
    }

    private bool TryRaw(int start)
    {
        var p = pos;
        while (p < source.Length && char.IsWhiteSpace(source[p]))
        {
            p++;
        }

        if (string.CompareOrdinal(source, p, "raw", 0, 3) != 0 || p + 3 >= source.Length || char.IsLetterOrDigit(source[p + 3]) || source[p + 3] == '_')
        {
            return false;
        }

        pos = p + 3;
        var stripAfter = ExpectRawTagEnd(start);
        AfterBlockEnd(stripAfter, false);
        for (var search = pos; ; search++)
        {
            var open = source.IndexOf("{%", search, StringComparison.Ordinal);
            if (open < 0)
            {
                throw Error("missing end of raw directive", start);
            }

            var q = open + 2;
            var strip = q < source.Length && source[q] == '-';
            if (q < source.Length && source[q] is '-' or '+')
            {
                q++;
            }

            while (q < source.Length && char.IsWhiteSpace(source[q]))
            {
                q++;
            }

            if (string.CompareOrdinal(source, q, "endraw", 0, 6) == 0)
            {
                var body = source[pos..open];
                Emit(TokenKind.Text, strip ? body.TrimEnd() : body, pos);
                pos = q + 6;
                AfterBlockEnd(ExpectRawTagEnd(open), false);
                return true;
            }

            search = open;
        }
    }

    private bool ExpectRawTagEnd(int start)
    {
        SkipWhitespace();
        var strip = false;
        if (pos < source.Length && source[pos] is '-' or '+')
        {
            strip = source[pos] == '-';
            pos++;
        }

        if (string.CompareOrdinal(source, pos, "%}", 0, 2) != 0)
        {
            throw Error("expected '%}' after raw", start);
        }

        pos += 2;
        return strip;
    }

    private void LexInside(TokenKind endKind)
    {
        var start = pos;
        var balance = 0;
        var close = endKind == TokenKind.VariableEnd ? "}}" : "%}";
        while (true)
        {
            SkipWhitespace();
            if (pos >= source.Length)
            {
                throw Error($"unexpected end of template, expected '{close}'", start);
            }

            if (balance == 0)
            {
                if (source[pos] is '-' or '+' && string.CompareOrdinal(source, pos + 1, close, 0, 2) == 0
                    && (source[pos] == '-' || endKind == TokenKind.BlockEnd))
                {
                    var sign = source[pos];
                    Emit(endKind, close, pos);
                    pos += 3;
                    AfterBlockEnd(sign == '-', sign == '+');
                    return;
                }

                if (string.CompareOrdinal(source, pos, close, 0, 2) == 0)
                {
                    Emit(endKind, close, pos);
                    pos += 2;
                    if (endKind == TokenKind.BlockEnd)
                    {
                        AfterBlockEnd(false, false);
                    }

                    return;
                }
            }

            var c = source[pos];
            if (char.IsLetter(c) || c == '_')
            {
                var begin = pos;
                while (pos < source.Length && (char.IsLetterOrDigit(source[pos]) || source[pos] == '_'))
                {
                    pos++;
                }

                Emit(TokenKind.Name, source[begin..pos], begin);
            }
            else if (char.IsAsciiDigit(c))
            {
                LexNumber();
            }
            else if (c is '\'' or '"')
            {
                LexString(c);
            }
            else
            {
                var op = Array.Find(Operators, o => string.CompareOrdinal(source, pos, o, 0, o.Length) == 0)
                    ?? throw Error($"unexpected char '{c}'", pos);
                balance += op is "(" or "[" or "{" ? 1 : op is ")" or "]" or "}" ? -1 : 0;
                if (balance < 0)
                {
                    throw Error($"unexpected '{op}'", pos);
                }

                Emit(TokenKind.Operator, op, pos);
                pos += op.Length;
            }
        }
    }

    private void LexNumber()
    {
        var begin = pos;
        var afterDot = begin > 0 && source[begin - 1] == '.';
        SkipDigits();
        var isFloat = false;
        if (!afterDot && pos + 1 < source.Length && source[pos] == '.' && char.IsAsciiDigit(source[pos + 1]))
        {
            isFloat = true;
            pos++;
            SkipDigits();
        }

        if (!afterDot && pos < source.Length && source[pos] is 'e' or 'E')
        {
            var p = pos + 1;
            if (p < source.Length && source[p] is '+' or '-')
            {
                p++;
            }

            if (p < source.Length && char.IsAsciiDigit(source[p]))
            {
                isFloat = true;
                pos = p;
                SkipDigits();
            }
        }

        Emit(isFloat ? TokenKind.Float : TokenKind.Integer, source[begin..pos].Replace("_", string.Empty, StringComparison.Ordinal), begin);
    }

    private void SkipDigits()
    {
        while (pos < source.Length && (char.IsAsciiDigit(source[pos]) || (source[pos] == '_' && pos + 1 < source.Length && char.IsAsciiDigit(source[pos + 1]))))
        {
            pos++;
        }
    }

    private void LexString(char quote)
    {
        var begin = pos;
        var builder = new StringBuilder();
        pos++;
        while (true)
        {
            if (pos >= source.Length)
            {
                throw Error("unterminated string", begin);
            }

            var c = source[pos++];
            if (c == quote)
            {
                break;
            }

            if (c != '\\' || pos >= source.Length)
            {
                builder.Append(c);
                continue;
            }

            var e = source[pos++];
            switch (e)
            {
                case 'n': builder.Append('\n'); break;
                case 't': builder.Append('\t'); break;
                case 'r': builder.Append('\r'); break;
                case 'b': builder.Append('\b'); break;
                case 'f': builder.Append('\f'); break;
                case 'v': builder.Append('\v'); break;
                case 'a': builder.Append('\a'); break;
                case '0': builder.Append('\0'); break;
                case '\\' or '\'' or '"': builder.Append(e); break;
                case '\n': break;
                case 'x': AppendCodePoint(builder, 2, begin); break;
                case 'u': AppendCodePoint(builder, 4, begin); break;
                case 'U': AppendCodePoint(builder, 8, begin); break;
                default: builder.Append('\\').Append(e); break;
            }
        }

        Emit(TokenKind.String, builder.ToString(), begin);
    }

    private void AppendCodePoint(StringBuilder builder, int digits, int begin)
    {
        if (pos + digits > source.Length
            || !int.TryParse(source.AsSpan(pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
        {
            throw Error("truncated escape in string", begin);
        }

        pos += digits;
        builder.Append(char.ConvertFromUtf32(code));
    }

    private void Emit(TokenKind kind, string value, int offset)
    {
        var (line, column) = Position(offset);
        tokens.Add(new Token(kind, value, line, column));
    }

    private (int Line, int Column) Position(int offset)
    {
        if (offset < scannedTo)
        {
            (scannedTo, scannedLine, scannedLineStart) = (0, 1, 0);
        }

        for (; scannedTo < offset && scannedTo < source.Length; scannedTo++)
        {
            if (source[scannedTo] == '\n')
            {
                scannedLine++;
                scannedLineStart = scannedTo + 1;
            }
        }

        return (scannedLine, offset - scannedLineStart + 1);
    }

    private ChatTemplateException Error(string message, int offset)
    {
        var (line, column) = Position(offset);
        return new ChatTemplateException(message, line, column);
    }
}
