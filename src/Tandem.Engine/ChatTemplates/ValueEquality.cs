namespace Tandem.Engine.ChatTemplates;

/// <summary>Python <c>==</c> and <c>hash()</c>: <c>1 == 1.0 == True</c>, sequences and dicts compare by content.</summary>
internal sealed class ValueEquality : IEqualityComparer<TemplateValue>
{
    public static readonly ValueEquality Instance = new();

    public bool Equals(TemplateValue? x, TemplateValue? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null)
        {
            return false;
        }

        if (Operators.TryNumber(x, out var a) && Operators.TryNumber(y, out var b))
        {
            return a.IsFloat || b.IsFloat ? a.AsDouble == b.AsDouble : a.Integer == b.Integer;
        }

        return (x, y) switch
        {
            (StringValue s, StringValue t) => s.Value == t.Value,
            (NoneValue, NoneValue) => true,
            (UndefinedValue, UndefinedValue) => true,
            (ListValue l, ListValue m) => l.Kind == m.Kind && l.Items.Count == m.Items.Count
                && l.Items.Zip(m.Items).All(p => Equals(p.First, p.Second)),
            (DictValue d, DictValue e) => d.Count == e.Count
                && d.Entries.All(p => e.TryGet(p.Key, out var v) && Equals(p.Value, v)),
            _ => false,
        };
    }

    public int GetHashCode(TemplateValue obj) => obj switch
    {
        BoolValue b => b.Value ? 1 : 0,
        IntValue i => i.Value.GetHashCode(),
        FloatValue f => f.Value == Math.Floor(f.Value) && Math.Abs(f.Value) < 9e18 ? ((long)f.Value).GetHashCode() : f.Value.GetHashCode(),
        StringValue s => StringComparer.Ordinal.GetHashCode(s.Value),
        ListValue l => l.Items.Aggregate(l.Items.Count, (h, v) => HashCode.Combine(h, GetHashCode(v))),
        NoneValue => 17,
        UndefinedValue => 19,
        _ => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj),
    };
}
