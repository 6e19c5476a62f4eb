using System.Globalization;
using System.Text;

namespace Tandem.Engine.ChatTemplates;

internal delegate TemplateValue FilterFunction(TemplateValue value, CallArguments args, RenderContext context);

/// <summary>
/// Jinja2's built-in filters with their Python behaviour (string and number filters here, sequence
/// filters in <c>Filters.Sequences.cs</c>); <c>tojson</c> is transformers' <c>json.dumps</c> version.
/// </summary>
internal static partial class Filters
{
    private static readonly Dictionary<string, FilterFunction> Registry = new(StringComparer.Ordinal)
    {
        ["abs"] = (v, _, _) => Operators.TryNumber(v, out var n)
            ? (n.IsFloat ? new FloatValue(Math.Abs(n.Float)) : new IntValue(Math.Abs(n.Integer)))
            : throw new ChatTemplateException($"bad operand type for abs(): '{v.TypeName}'"),
        ["capitalize"] = (v, _, _) => new StringValue(Methods.Capitalize(PythonText.Str(v))),
        ["center"] = (v, a, _) => new StringValue(Center(PythonText.Str(v), (int)a.GetInt(0, "width", 80))),
        ["default"] = Default,
        ["d"] = Default,
        ["escape"] = (v, _, _) => new StringValue(Escape(PythonText.Str(v))),
        ["e"] = (v, _, _) => new StringValue(Escape(PythonText.Str(v))),
        ["float"] = ToFloat,
        ["indent"] = Indent,
        ["int"] = ToInt,
        ["lower"] = (v, _, _) => new StringValue(PythonText.Str(v).ToLowerInvariant()),
        ["replace"] = (v, a, _) => new StringValue(Methods.Replace(
            PythonText.Str(v),
            a.GetString(0, "old") ?? string.Empty,
            a.GetString(1, "new") ?? string.Empty,
            a.GetInt(2, "count", -1))),
        ["round"] = Round,
        ["safe"] = (v, _, _) => v,
        ["string"] = (v, _, _) => v is StringValue ? v : new StringValue(PythonText.Str(v)),
        ["title"] = (v, _, _) => new StringValue(Title(PythonText.Str(v))),
        ["tojson"] = (v, a, _) => new StringValue(JsonDumps.Serialize(v, a)),
        ["trim"] = (v, a, _) => new StringValue(Methods.Strip(PythonText.Str(v), a.GetString(0, "chars"), true, true)),
        ["upper"] = (v, _, _) => new StringValue(PythonText.Str(v).ToUpperInvariant()),
        ["wordcount"] = (v, _, _) => new IntValue(Methods.Split(PythonText.Str(v), null, -1).Count),
        ["attr"] = (v, a, _) => Access.GetPythonAttribute(v, a.GetString(0, "name") ?? string.Empty),
        ["format"] = (v, a, _) => new StringValue(PercentFormat.Apply(PythonText.Str(v), a.Positional)),
        ["count"] = Length,
        ["length"] = Length,
        ["dictsort"] = DictSort,
        ["first"] = First,
        ["last"] = Last,
        ["items"] = Items,
        ["join"] = Join,
        ["list"] = (v, _, _) => new ListValue(Operators.ToList(v)),
        ["map"] = Map,
        ["max"] = (v, a, _) => MinMax(v, a, max: true),
        ["min"] = (v, a, _) => MinMax(v, a, max: false),
        ["reject"] = (v, a, c) => Select(v, a, c, byAttribute: false, keep: false),
        ["rejectattr"] = (v, a, c) => Select(v, a, c, byAttribute: true, keep: false),
        ["reverse"] = Reverse,
        ["select"] = (v, a, c) => Select(v, a, c, byAttribute: false, keep: true),
        ["selectattr"] = (v, a, c) => Select(v, a, c, byAttribute: true, keep: true),
        ["sort"] = Sort,
        ["sum"] = Sum,
        ["unique"] = Unique,
    };

    public static bool TryGet(string name, out FilterFunction filter) => Registry.TryGetValue(name, out filter!);

    private static TemplateValue Default(TemplateValue value, CallArguments args, RenderContext context)
    {
        var fallback = args.Get(0, "default_value", StringValue.Empty);
        var boolean = args.GetBool(1, "boolean", false);
        return value is UndefinedValue || (boolean && !value.IsTruthy) ? fallback : value;
    }

    private static IntValue Length(TemplateValue value, CallArguments args, RenderContext context) => new IntValue(Operators.Length(value));

    private static TemplateValue ToInt(TemplateValue value, CallArguments args, RenderContext context)
    {
        var fallback = args.Get(0, "default", new IntValue(0));
        var numberBase = (int)args.GetInt(1, "base", 10);
        switch (value)
        {
            case FloatValue f:
                return new IntValue((long)Math.Truncate(f.Value));
            case IntValue or BoolValue:
                return Operators.Negate(value, negative: false);
            case StringValue s:
                var text = s.Value.Trim().Replace("_", string.Empty, StringComparison.Ordinal);
                try
                {
                    if (numberBase == 10)
                    {
                        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)
                            ? new IntValue(i)
                            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                                ? new IntValue((long)Math.Truncate(d))
                                : fallback;
                    }

                    var digits = text.Length > 2 && text[0] == '0' && char.IsLetter(text[1]) ? text[2..] : text;
                    return new IntValue(Convert.ToInt64(digits, numberBase));
                }
                catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
                {
                    return fallback;
                }

            default:
                return fallback;
        }
    }

    private static TemplateValue ToFloat(TemplateValue value, CallArguments args, RenderContext context)
    {
        var fallback = args.Get(0, "default", new FloatValue(0));
        return value switch
        {
            _ when Operators.TryNumber(value, out var n) => new FloatValue(n.AsDouble),
            StringValue s when double.TryParse(s.Value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => new FloatValue(d),
            _ => fallback,
        };
    }

    private static TemplateValue Round(TemplateValue value, CallArguments args, RenderContext context)
    {
        var precision = (int)args.GetInt(0, "precision", 0);
        var method = args.GetString(1, "method") ?? "common";
        if (!Operators.TryNumber(value, out var n))
        {
            throw new ChatTemplateException($"type {value.TypeName} doesn't define __round__ method");
        }

        if (method == "common")
        {
            return n.IsFloat ? new FloatValue(Math.Round(n.Float, Math.Clamp(precision, 0, 15), MidpointRounding.ToEven)) : n.ToValue();
        }

        var scale = Math.Pow(10, precision);
        var scaled = n.AsDouble * scale;
        return new FloatValue((method == "ceil" ? Math.Ceiling(scaled) : Math.Floor(scaled)) / scale);
    }

    private static StringValue Indent(TemplateValue value, CallArguments args, RenderContext context)
    {
        var width = args.Get(0, "width", new IntValue(4));
        var indentation = width is StringValue w ? w.Value : new string(' ', (int)args.GetInt(0, "width", 4));
        var first = args.GetBool(1, "first", false);
        var blank = args.GetBool(2, "blank", false);
        var lines = PythonLines(PythonText.Str(value) + "\n");
        string result;
        if (blank)
        {
            result = string.Join("\n" + indentation, lines);
        }
        else
        {
            var builder = new StringBuilder(lines[0]);
            for (var i = 1; i < lines.Count; i++)
            {
                builder.Append('\n');
                if (lines[i].Length > 0)
                {
                    builder.Append(indentation);
                }

                builder.Append(lines[i]);
            }

            result = builder.ToString();
        }

        return new StringValue(first ? indentation + result : result);
    }

    private static List<string> PythonLines(string text)
    {
        var lines = text.Split('\n').ToList();
        if (lines.Count > 1 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    /// <summary>Jinja2's <c>title</c>: each word (split at whitespace, '-', and opening brackets) capitalized.</summary>
    private static string Title(string text)
    {
        var builder = new StringBuilder(text.Length);
        var wordStart = true;
        foreach (var c in text)
        {
            var separator = char.IsWhiteSpace(c) || c is '-' or '(' or '{' or '[' or '<';
            builder.Append(separator ? c : wordStart ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            wordStart = separator;
        }

        return builder.ToString();
    }

    private static string Center(string text, int width)
    {
        if (text.Length >= width)
        {
            return text;
        }

        var total = width - text.Length;
        var left = (total / 2) + (total & width & 1);
        return new string(' ', left) + text + new string(' ', total - left);
    }

    private static string Escape(string text) => text
        .Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal)
        .Replace("\"", "&#34;", StringComparison.Ordinal)
        .Replace("'", "&#39;", StringComparison.Ordinal);
}
