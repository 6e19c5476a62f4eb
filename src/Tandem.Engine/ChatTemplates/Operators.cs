using System.Text;

namespace Tandem.Engine.ChatTemplates;

/// <summary>A Python number: bool and int are integers, float is double.</summary>
internal readonly record struct Number(long Integer, double Float, bool IsFloat)
{
    public double AsDouble => IsFloat ? Float : Integer;

    public TemplateValue ToValue() => IsFloat ? new FloatValue(Float) : new IntValue(Integer);
}

/// <summary>Python operators over template values: arithmetic, comparison, membership, iteration, len().</summary>
internal static class Operators
{
    public static bool TryNumber(TemplateValue value, out Number number)
    {
        switch (value)
        {
            case IntValue i:
                number = new Number(i.Value, 0, false);
                return true;
            case BoolValue b:
                number = new Number(b.Value ? 1 : 0, 0, false);
                return true;
            case FloatValue f:
                number = new Number(0, f.Value, true);
                return true;
            default:
                number = default;
                return false;
        }
    }

    public static TemplateValue Binary(string op, TemplateValue left, TemplateValue right)
    {
        if (left is UndefinedValue ul)
        {
            throw ul.Error();
        }

        if (right is UndefinedValue ur)
        {
            throw ur.Error();
        }

        if (TryNumber(left, out var a) && TryNumber(right, out var b))
        {
            return Arithmetic(op, a, b);
        }

        switch (op, left, right)
        {
            case ("%", StringValue s, _):
                return new StringValue(PercentFormat.Apply(s.Value, right is ListValue { Kind: SequenceKind.Tuple } tuple ? tuple.Items : [right]));
            case ("+", StringValue s, StringValue t):
                return new StringValue(s.Value + t.Value);
            case ("+", ListValue l, ListValue m) when l.Kind == m.Kind && l.Kind != SequenceKind.Generator:
                return new ListValue([.. l.Items, .. m.Items], l.Kind);
            case ("*", StringValue s, _) when TryNumber(right, out var n) && !n.IsFloat:
                return new StringValue(Repeat(s.Value, n.Integer));
            case ("*", _, StringValue s) when TryNumber(left, out var n) && !n.IsFloat:
                return new StringValue(Repeat(s.Value, n.Integer));
            case ("*", ListValue l, _) when TryNumber(right, out var n) && !n.IsFloat:
                return new ListValue([.. Enumerable.Repeat(l.Items, (int)Math.Max(0, n.Integer)).SelectMany(x => x)], l.Kind);
            default:
                throw new ChatTemplateException($"unsupported operand type(s) for {op}: '{left.TypeName}' and '{right.TypeName}'");
        }
    }

    private static string Repeat(string text, long count)
    {
        var builder = new StringBuilder();
        for (var i = 0L; i < count; i++)
        {
            builder.Append(text);
        }

        return builder.ToString();
    }

    private static TemplateValue Arithmetic(string op, Number a, Number b)
    {
        var isFloat = a.IsFloat || b.IsFloat;
        switch (op)
        {
            case "+":
                return isFloat ? new FloatValue(a.AsDouble + b.AsDouble) : new IntValue(a.Integer + b.Integer);
            case "-":
                return isFloat ? new FloatValue(a.AsDouble - b.AsDouble) : new IntValue(a.Integer - b.Integer);
            case "*":
                return isFloat ? new FloatValue(a.AsDouble * b.AsDouble) : new IntValue(a.Integer * b.Integer);
            case "/":
                CheckDivisor(b);
                return new FloatValue(a.AsDouble / b.AsDouble);
            case "//":
                CheckDivisor(b);
                return isFloat
                    ? new FloatValue(Math.Floor(a.AsDouble / b.AsDouble))
                    : new IntValue(FloorDiv(a.Integer, b.Integer));
            case "%":
                CheckDivisor(b);
                if (isFloat)
                {
                    var r = a.AsDouble % b.AsDouble;
                    return new FloatValue(r != 0 && (r < 0) != (b.AsDouble < 0) ? r + b.AsDouble : r);
                }

                return new IntValue(a.Integer - (FloorDiv(a.Integer, b.Integer) * b.Integer));
            case "**":
                if (!isFloat && b.Integer >= 0)
                {
                    var result = 1L;
                    for (var i = 0L; i < b.Integer; i++)
                    {
                        result *= a.Integer;
                    }

                    return new IntValue(result);
                }

                return new FloatValue(Math.Pow(a.AsDouble, b.AsDouble));
            default:
                throw new ChatTemplateException($"unknown operator {op}");
        }
    }

    private static void CheckDivisor(Number b)
    {
        if (b.AsDouble == 0)
        {
            throw new ChatTemplateException("division by zero");
        }
    }

    private static long FloorDiv(long a, long b)
    {
        var q = a / b;
        return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q;
    }

    public static TemplateValue Negate(TemplateValue value, bool negative)
    {
        if (!TryNumber(value, out var n))
        {
            if (value is UndefinedValue u)
            {
                throw u.Error();
            }

            throw new ChatTemplateException($"bad operand type for unary {(negative ? '-' : '+')}: '{value.TypeName}'");
        }

        return !negative ? n.ToValue() : n.IsFloat ? new FloatValue(-n.Float) : new IntValue(-n.Integer);
    }

    public static bool Equal(TemplateValue left, TemplateValue right) => ValueEquality.Instance.Equals(left, right);

    /// <summary>Python ordering (<c>&lt;</c> and friends); mixed types raise as in Python.</summary>
    public static int Compare(TemplateValue left, TemplateValue right)
    {
        if (TryNumber(left, out var a) && TryNumber(right, out var b))
        {
            return a.IsFloat || b.IsFloat ? a.AsDouble.CompareTo(b.AsDouble) : a.Integer.CompareTo(b.Integer);
        }

        switch (left, right)
        {
            case (StringValue s, StringValue t):
                return string.CompareOrdinal(s.Value, t.Value) switch { < 0 => -1, > 0 => 1, _ => 0 };
            case (ListValue l, ListValue m) when l.Kind == m.Kind:
                for (var i = 0; i < Math.Min(l.Items.Count, m.Items.Count); i++)
                {
                    if (!Equal(l.Items[i], m.Items[i]))
                    {
                        return Compare(l.Items[i], m.Items[i]);
                    }
                }

                return l.Items.Count.CompareTo(m.Items.Count);
            default:
                if (left is UndefinedValue u)
                {
                    throw u.Error();
                }

                if (right is UndefinedValue v)
                {
                    throw v.Error();
                }

                throw new ChatTemplateException($"'<' not supported between instances of '{left.TypeName}' and '{right.TypeName}'");
        }
    }

    /// <summary>Python <c>item in container</c>.</summary>
    public static bool Contains(TemplateValue container, TemplateValue item) => container switch
    {
        StringValue s when item is StringValue t => s.Value.Contains(t.Value, StringComparison.Ordinal),
        StringValue => throw new ChatTemplateException($"'in <string>' requires string as left operand, not {item.TypeName}"),
        ListValue l => l.Items.Any(x => Equal(x, item)),
        DictValue d => d.TryGet(item, out _),
        UndefinedValue => false,
        NamespaceValue n => item is StringValue k && n.Attributes.ContainsKey(k.Value),
        _ => throw new ChatTemplateException($"argument of type '{container.TypeName}' is not iterable"),
    };

    /// <summary>Python iteration: strings by character, dicts by key, Undefined as empty.</summary>
    public static IEnumerable<TemplateValue> Iterate(TemplateValue value) => value switch
    {
        ListValue l => l.Items,
        DictValue d => d.Keys,
        StringValue s => s.Value.EnumerateRunes().Select(r => (TemplateValue)new StringValue(r.ToString())),
        UndefinedValue => [],
        _ => throw new ChatTemplateException($"'{value.TypeName}' object is not iterable"),
    };

    public static List<TemplateValue> ToList(TemplateValue value) => [.. Iterate(value)];

    public static long Length(TemplateValue value) => value switch
    {
        StringValue s => s.Value.EnumerateRunes().Count(),
        ListValue { Kind: not SequenceKind.Generator } l => l.Items.Count,
        DictValue d => d.Count,
        UndefinedValue => 0,
        NamespaceValue n => n.Attributes.Count,
        _ => throw new ChatTemplateException($"object of type '{value.TypeName}' has no len()"),
    };
}
