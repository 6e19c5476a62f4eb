using System.Globalization;
using System.Text;

namespace Tandem.Engine.ChatTemplates;

/// <summary>Python's <c>str()</c> and <c>repr()</c> of template values, float formatting included.</summary>
internal static class PythonText
{
    public static string Str(TemplateValue value) => value switch
    {
        StringValue s => s.Value,
        UndefinedValue => string.Empty,
        _ => Repr(value),
    };

    public static string Repr(TemplateValue value)
    {
        if (value is StringValue s)
        {
            return ReprString(s.Value);
        }

        var builder = new StringBuilder();
        AppendRepr(builder, value);
        return builder.ToString();
    }

    private static void AppendRepr(StringBuilder builder, TemplateValue value)
    {
        switch (value)
        {
            case StringValue s:
                builder.Append(ReprString(s.Value));
                break;
            case NoneValue:
                builder.Append("None");
                break;
            case UndefinedValue:
                builder.Append("Undefined");
                break;
            case BoolValue b:
                builder.Append(b.Value ? "True" : "False");
                break;
            case IntValue i:
                builder.Append(i.Value.ToString(CultureInfo.InvariantCulture));
                break;
            case FloatValue f:
                builder.Append(FormatFloat(f.Value));
                break;
            case ListValue { Kind: SequenceKind.Generator }:
                builder.Append("<generator object>");
                break;
            case ListValue l:
                var tuple = l.Kind == SequenceKind.Tuple;
                builder.Append(tuple ? '(' : '[');
                for (var index = 0; index < l.Items.Count; index++)
                {
                    if (index > 0)
                    {
                        builder.Append(", ");
                    }

                    AppendRepr(builder, l.Items[index]);
                }

                builder.Append(tuple && l.Items.Count == 1 ? ",)" : tuple ? ")" : "]");
                break;
            case DictValue d:
                AppendDict(builder, d.Entries);
                break;
            case NamespaceValue n:
                builder.Append("<Namespace ");
                AppendDict(builder, n.Attributes.Select(p => KeyValuePair.Create<TemplateValue, TemplateValue>(new StringValue(p.Key), p.Value)));
                builder.Append('>');
                break;
            case CallableValue c:
                builder.Append("<function ").Append(c.Name).Append('>');
                break;
            default:
                builder.Append('<').Append(value.TypeName).Append(" object>");
                break;
        }
    }

    private static void AppendDict(StringBuilder builder, IEnumerable<KeyValuePair<TemplateValue, TemplateValue>> entries)
    {
        builder.Append('{');
        var first = true;
        foreach (var (key, item) in entries)
        {
            if (!first)
            {
                builder.Append(", ");
            }

            first = false;
            AppendRepr(builder, key);
            builder.Append(": ");
            AppendRepr(builder, item);
        }

        builder.Append('}');
    }

    /// <summary>Python's <c>repr(str)</c>: single quotes unless the text holds ' and no ".</summary>
    public static string ReprString(string text)
    {
        var quote = text.Contains('\'') && !text.Contains('"') ? '"' : '\'';
        var builder = new StringBuilder(text.Length + 2);
        builder.Append(quote);
        for (var index = 0; index < text.Length; index++)
        {
            var c = text[index];
            switch (c)
            {
                case '\\':
                    builder.Append(@"\\");
                    break;
                case '\n':
                    builder.Append(@"\n");
                    break;
                case '\r':
                    builder.Append(@"\r");
                    break;
                case '\t':
                    builder.Append(@"\t");
                    break;
                default:
                    if (c == quote)
                    {
                        builder.Append('\\').Append(c);
                    }
                    else if (c < 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0xad)
                    {
                        builder.Append(@"\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.Append(quote).ToString();
    }

    /// <summary>Python's <c>repr(float)</c>: shortest round-trip digits, <c>.0</c> on integral values, exponent outside [1e-4, 1e16).</summary>
    public static string FormatFloat(double value)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        if (value == 0)
        {
            return double.IsNegative(value) ? "-0.0" : "0.0";
        }

        // "R" gives the shortest round-trip digits, as "123.45" or "1.2345E+20"; re-lay them out Python's way.
        var shortest = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = shortest.StartsWith('-');
        if (negative)
        {
            shortest = shortest[1..];
        }

        string digits;
        int exponent;
        var e = shortest.IndexOfAny(['E', 'e']);
        var mantissa = e >= 0 ? shortest[..e] : shortest;
        var exp10 = e >= 0 ? int.Parse(shortest[(e + 1)..], CultureInfo.InvariantCulture) : 0;
        var dot = mantissa.IndexOf('.');
        var intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fracPart = dot >= 0 ? mantissa[(dot + 1)..] : string.Empty;
        digits = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - digits.Length;
        exponent = intPart.Length - 1 + exp10 - leadingZeros;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        var builder = new StringBuilder();
        if (negative)
        {
            builder.Append('-');
        }

        if (exponent < -4 || exponent >= 16)
        {
            builder.Append(digits[0]);
            if (digits.Length > 1)
            {
                builder.Append('.').Append(digits.AsSpan(1));
            }

            builder.Append('e').Append(exponent < 0 ? '-' : '+').Append(Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (exponent < 0)
        {
            builder.Append("0.").Append('0', -exponent - 1).Append(digits);
        }
        else if (digits.Length <= exponent + 1)
        {
            builder.Append(digits).Append('0', exponent + 1 - digits.Length).Append(".0");
        }
        else
        {
            builder.Append(digits.AsSpan(0, exponent + 1)).Append('.').Append(digits.AsSpan(exponent + 1));
        }

        return builder.ToString();
    }
}
