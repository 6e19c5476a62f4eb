using System.Globalization;
using System.Text;

namespace Tandem.Engine.ChatTemplates;

/// <summary>
/// Python's printf-style <c>format % values</c> (the <c>format</c> filter and <c>%</c> on a string):
/// conversions s r d i f F e E g G x X o c and %, with flags, width and precision.
/// </summary>
internal static class PercentFormat
{
    public static string Apply(string format, IReadOnlyList<TemplateValue> values)
    {
        var builder = new StringBuilder();
        var next = 0;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                builder.Append(format[i]);
                continue;
            }

            var start = ++i;
            while (i < format.Length && "-+ 0#".Contains(format[i], StringComparison.Ordinal))
            {
                i++;
            }

            var flags = format[start..i];
            var widthStart = i;
            while (i < format.Length && char.IsAsciiDigit(format[i]))
            {
                i++;
            }

            var width = i > widthStart ? int.Parse(format[widthStart..i], CultureInfo.InvariantCulture) : 0;
            int? precision = null;
            if (i < format.Length && format[i] == '.')
            {
                var precisionStart = ++i;
                while (i < format.Length && char.IsAsciiDigit(format[i]))
                {
                    i++;
                }

                precision = i > precisionStart ? int.Parse(format[precisionStart..i], CultureInfo.InvariantCulture) : 0;
            }

            if (i >= format.Length)
            {
                throw new ChatTemplateException("incomplete format");
            }

            var conversion = format[i];
            if (conversion == '%')
            {
                builder.Append('%');
                continue;
            }

            if (next >= values.Count)
            {
                throw new ChatTemplateException("not enough arguments for format string");
            }

            var text = Convert(conversion, values[next++], flags, precision);
            var padding = Math.Max(0, width - text.Length);
            if (flags.Contains('-', StringComparison.Ordinal))
            {
                builder.Append(text).Append(' ', padding);
            }
            else if (flags.Contains('0', StringComparison.Ordinal) && "diouxXeEfFgG".Contains(conversion, StringComparison.Ordinal))
            {
                var sign = text.Length > 0 && text[0] is '-' or '+' or ' ' ? text[..1] : string.Empty;
                builder.Append(sign).Append('0', padding).Append(text.AsSpan(sign.Length));
            }
            else
            {
                builder.Append(' ', padding).Append(text);
            }
        }

        if (next < values.Count)
        {
            throw new ChatTemplateException("not all arguments converted during string formatting");
        }

        return builder.ToString();
    }

    private static string Convert(char conversion, TemplateValue value, string flags, int? precision)
    {
        var culture = CultureInfo.InvariantCulture;
        string Signed(string digits, bool negative) =>
            (negative ? "-" : flags.Contains('+', StringComparison.Ordinal) ? "+" : flags.Contains(' ', StringComparison.Ordinal) ? " " : string.Empty) + digits;

        switch (conversion)
        {
            case 's':
                var s = PythonText.Str(value);
                return precision is { } p && p < s.Length ? s[..p] : s;
            case 'r' or 'a':
                return PythonText.Repr(value);
            case 'c':
                return value is StringValue c ? c.Value : char.ConvertFromUtf32((int)Integer(value));
        }

        if (!Operators.TryNumber(value, out var n))
        {
            throw new ChatTemplateException($"%{conversion} format: a real number is required, not {value.TypeName}");
        }

        var x = n.AsDouble;
        return conversion switch
        {
            'd' or 'i' or 'u' => Signed(Math.Abs(Integer(value)).ToString(culture), Integer(value) < 0),
            'x' => Signed(Math.Abs(Integer(value)).ToString("x", culture), Integer(value) < 0),
            'X' => Signed(Math.Abs(Integer(value)).ToString("X", culture), Integer(value) < 0),
            'o' => Signed(System.Convert.ToString(Math.Abs(Integer(value)), 8), Integer(value) < 0),
            'f' or 'F' => Signed(Math.Abs(x).ToString("F" + (precision ?? 6), culture), x < 0),
            'e' or 'E' => Signed(Exponent(Math.Abs(x), precision ?? 6, conversion), x < 0),
            'g' or 'G' => Signed(Math.Abs(x).ToString((conversion == 'g' ? "g" : "G") + Math.Max(1, precision ?? 6), culture), x < 0),
            _ => throw new ChatTemplateException($"unsupported format character '{conversion}'"),
        };
    }

    private static long Integer(TemplateValue value) =>
        Operators.TryNumber(value, out var n) ? (n.IsFloat ? (long)Math.Truncate(n.Float) : n.Integer) : 0;

    private static string Exponent(double x, int precision, char conversion)
    {
        var text = x.ToString((conversion == 'e' ? "e" : "E") + precision, CultureInfo.InvariantCulture);
        var e = text.IndexOfAny(['e', 'E']);
        var exponent = int.Parse(text[(e + 1)..], CultureInfo.InvariantCulture);
        return text[..(e + 1)] + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
    }
}
