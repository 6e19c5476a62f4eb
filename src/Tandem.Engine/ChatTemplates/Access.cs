namespace Tandem.Engine.ChatTemplates;

/// <summary>
/// Jinja2's <c>getattr</c>/<c>getitem</c>: <c>x.name</c> tries the Python attribute (a method) before the
/// item, <c>x[key]</c> the item before the attribute; a miss gives Undefined, and only Undefined itself raises.
/// </summary>
internal static class Access
{
    public static TemplateValue GetAttribute(TemplateValue target, string name)
    {
        if (target is UndefinedValue undefined)
        {
            throw undefined.Error();
        }

        if (Methods.TryBind(target, name, out var method))
        {
            return method;
        }

        return target switch
        {
            DictValue dict => dict.Get(name) ?? Missing(target, name),
            ObjectValue obj => obj.GetAttribute(name) ?? Missing(target, name),
            _ => Missing(target, name),
        };
    }

    /// <summary>Python's <c>getattr</c> alone (the <c>attr</c> filter): methods and object attributes, never dict items.</summary>
    public static TemplateValue GetPythonAttribute(TemplateValue target, string name) => target switch
    {
        UndefinedValue undefined => throw undefined.Error(),
        _ => GetAttributeOrMissing(target, name),
    };

    public static TemplateValue GetItem(TemplateValue target, TemplateValue key)
    {
        switch (target)
        {
            case UndefinedValue undefined:
                throw undefined.Error();
            case DictValue dict when dict.TryGet(key, out var value):
                return value;
            case ListValue { Kind: SequenceKind.Generator }:
                throw new ChatTemplateException("'generator' object is not subscriptable");
            case ListValue list when Index(key, list.Items.Count) is { } i:
                return list.Items[i];
            case StringValue text when Index(key, text.Value.Length) is { } i:
                return new StringValue(text.Value[i].ToString());
            default:
                return key is StringValue name ? GetAttributeOrMissing(target, name.Value) : Missing(target, PythonText.Str(key));
        }
    }

    private static TemplateValue GetAttributeOrMissing(TemplateValue target, string name)
    {
        if (Methods.TryBind(target, name, out var method))
        {
            return method;
        }

        return target is ObjectValue obj ? obj.GetAttribute(name) ?? Missing(target, name) : Missing(target, name);
    }

    private static int? Index(TemplateValue key, int count)
    {
        if (key is FloatValue || !Operators.TryNumber(key, out var n))
        {
            return null;
        }

        var index = n.Integer < 0 ? n.Integer + count : n.Integer;
        return index >= 0 && index < count ? (int)index : null;
    }

    private static UndefinedValue Missing(TemplateValue target, string name) =>
        new($"'{target.TypeName} object' has no attribute '{name}'");

    public static TemplateValue Slice(TemplateValue target, TemplateValue? start, TemplateValue? stop, TemplateValue? step)
    {
        var stride = SliceBound(step) ?? 1;
        if (stride == 0)
        {
            throw new ChatTemplateException("slice step cannot be zero");
        }

        switch (target)
        {
            case UndefinedValue undefined:
                throw undefined.Error();
            case ListValue { Kind: not SequenceKind.Generator } list:
                return new ListValue([.. SliceIndices(list.Items.Count, start, stop, stride).Select(i => list.Items[i])], list.Kind);
            case StringValue text:
                return new StringValue(string.Concat(SliceIndices(text.Value.Length, start, stop, stride).Select(i => text.Value[i])));
            default:
                throw new ChatTemplateException($"'{target.TypeName}' object is not subscriptable");
        }
    }

    private static long? SliceBound(TemplateValue? value) => value switch
    {
        null or NoneValue => null,
        _ when Operators.TryNumber(value, out var n) && !n.IsFloat => n.Integer,
        _ => throw new ChatTemplateException("slice indices must be integers or None"),
    };

    private static IEnumerable<int> SliceIndices(int count, TemplateValue? start, TemplateValue? stop, long step)
    {
        long Clamp(long? bound, long fallback, long low, long high)
        {
            if (bound is not { } b)
            {
                return fallback;
            }

            if (b < 0)
            {
                b += count;
            }

            return Math.Clamp(b, low, high);
        }

        if (step > 0)
        {
            var from = Clamp(SliceBound(start), 0, 0, count);
            var to = Clamp(SliceBound(stop), count, 0, count);
            for (var i = from; i < to; i += step)
            {
                yield return (int)i;
            }
        }
        else
        {
            var from = Clamp(SliceBound(start), count - 1, -1, count - 1);
            var to = Clamp(SliceBound(stop), -1, -1, count - 1);
            for (var i = from; i > to; i += step)
            {
                yield return (int)i;
            }
        }
    }
}
