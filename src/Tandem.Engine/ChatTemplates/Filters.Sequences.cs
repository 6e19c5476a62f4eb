namespace Tandem.Engine.ChatTemplates;

/// <summary>Sequence filters. Those that are generators in Jinja2 return <see cref="SequenceKind.Generator"/>.</summary>
internal static partial class Filters
{
    private static ListValue Generator(IEnumerable<TemplateValue> items) => new([.. items], SequenceKind.Generator);

    private static TemplateValue First(TemplateValue value, CallArguments args, RenderContext context)
    {
        foreach (var item in Operators.Iterate(value))
        {
            return item;
        }

        return new UndefinedValue("No first item, sequence was empty.");
    }

    private static TemplateValue Last(TemplateValue value, CallArguments args, RenderContext context)
    {
        var items = Operators.ToList(value);
        return items.Count > 0 ? items[^1] : TemplateValue.Undefined;
    }

    private static ListValue Items(TemplateValue value, CallArguments args, RenderContext context) => value switch
    {
        UndefinedValue => Generator([]),
        DictValue dict => Generator(dict.Entries.Select(e => (TemplateValue)new ListValue([e.Key, e.Value], SequenceKind.Tuple))),
        _ => throw new ChatTemplateException("Can only get item pairs from a mapping."),
    };

    private static StringValue Join(TemplateValue value, CallArguments args, RenderContext context)
    {
        var separator = args.GetString(0, "d") ?? string.Empty;
        var items = Operators.Iterate(value);
        if (args.GetString(1, "attribute") is { } attribute)
        {
            items = items.Select(AttributeGetter(attribute, null));
        }

        return new StringValue(string.Join(separator, items.Select(PythonText.Str)));
    }

    private static TemplateValue Reverse(TemplateValue value, CallArguments args, RenderContext context) => value switch
    {
        StringValue s => new StringValue(new string([.. s.Value.Reverse()])),
        _ => Generator(Operators.ToList(value).AsEnumerable().Reverse()),
    };

    /// <summary>Jinja2's <c>make_attrgetter</c>: a dotted path of items (<c>a.b.0</c>), looked up item-first.</summary>
    private static Func<TemplateValue, TemplateValue> AttributeGetter(string attribute, TemplateValue? fallback)
    {
        var parts = attribute.Split('.').Select(p => int.TryParse(p, out var i) ? (TemplateValue)new IntValue(i) : new StringValue(p)).ToArray();
        return item =>
        {
            foreach (var part in parts)
            {
                item = Access.GetItem(item, part);
            }

            return fallback is not null && item is UndefinedValue ? fallback : item;
        };
    }

    private static ListValue Map(TemplateValue value, CallArguments args, RenderContext context)
    {
        var items = Operators.Iterate(value);
        if (args.GetString(-1, "attribute") is { } attribute)
        {
            return Generator(items.Select(AttributeGetter(attribute, args.Get(-1, "default"))));
        }

        var name = args.GetString(0, "name") ?? throw new ChatTemplateException("map requires a filter name or attribute");
        if (!TryGet(name, out var filter))
        {
            throw new ChatTemplateException($"no filter named '{name}'");
        }

        var rest = new CallArguments([.. args.Positional.Skip(1)], args.Named);
        return Generator(items.Select(item => filter(item, rest, context)));
    }

    private static ListValue Select(TemplateValue value, CallArguments args, RenderContext context, bool byAttribute, bool keep)
    {
        var items = Operators.Iterate(value);
        var getter = byAttribute
            ? AttributeGetter(args.GetString(0, "attribute") ?? throw new ChatTemplateException("missing attribute"), null)
            : (x => x);
        var testIndex = byAttribute ? 1 : 0;
        Func<TemplateValue, bool> predicate = v => v.IsTruthy;
        if (args.Positional.Count > testIndex)
        {
            var name = PythonText.Str(args.Positional[testIndex]);
            if (!TemplateTests.TryGet(name, out var test))
            {
                throw new ChatTemplateException($"no test named '{name}'");
            }

            var rest = new CallArguments([.. args.Positional.Skip(testIndex + 1)], args.Named);
            predicate = v => test(v, rest);
        }

        return Generator(items.Where(item => predicate(getter(item)) == keep));
    }

    private static ListValue Unique(TemplateValue value, CallArguments args, RenderContext context)
    {
        var caseSensitive = args.GetBool(0, "case_sensitive", false);
        var getter = args.GetString(1, "attribute") is { } attribute ? AttributeGetter(attribute, null) : (x => x);
        var seen = new HashSet<TemplateValue>(ValueEquality.Instance);
        return Generator(Operators.Iterate(value).Where(item => seen.Add(SortKey(getter(item), caseSensitive))));
    }

    private static TemplateValue SortKey(TemplateValue value, bool caseSensitive) =>
        !caseSensitive && value is StringValue s ? new StringValue(s.Value.ToLowerInvariant()) : value;

    private static ListValue Sort(TemplateValue value, CallArguments args, RenderContext context)
    {
        var reverse = args.GetBool(0, "reverse", false);
        var caseSensitive = args.GetBool(1, "case_sensitive", false);
        var getters = (args.GetString(2, "attribute") ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(a => AttributeGetter(a, null))
            .ToList();
        var items = Operators.ToList(value);
        var keys = items.ConvertAll(item => getters.Count == 0
            ? SortKey(item, caseSensitive)
            : new ListValue(getters.ConvertAll(g => SortKey(g(item), caseSensitive))));
        return new ListValue(StableSort(items, keys, reverse));
    }

    /// <summary>Python's <c>sorted</c>: stable, and with <c>reverse</c> equal keys keep their order.</summary>
    private static List<TemplateValue> StableSort(List<TemplateValue> items, List<TemplateValue> keys, bool reverse)
    {
        var order = Enumerable.Range(0, items.Count).ToArray();
        Comparison<int> compare = (a, b) =>
        {
            if (keys[a] is not UndefinedValue || keys[b] is not UndefinedValue)
            {
                var c = keys[a] is NoneValue && keys[b] is NoneValue ? 0 : Operators.Compare(keys[a], keys[b]);
                if (c != 0)
                {
                    return reverse ? -c : c;
                }
            }

            return a.CompareTo(b);
        };
        Array.Sort(order, compare);
        return [.. order.Select(i => items[i])];
    }

    private static ListValue DictSort(TemplateValue value, CallArguments args, RenderContext context)
    {
        if (value is not DictValue dict)
        {
            throw new ChatTemplateException("dictsort requires a mapping");
        }

        var caseSensitive = args.GetBool(0, "case_sensitive", false);
        var byValue = (args.GetString(1, "by") ?? "key") switch
        {
            "key" => false,
            "value" => true,
            _ => throw new ChatTemplateException("You can only sort by either \"key\" or \"value\""),
        };
        var reverse = args.GetBool(2, "reverse", false);
        var pairs = dict.Entries.Select(e => (TemplateValue)new ListValue([e.Key, e.Value], SequenceKind.Tuple)).ToList();
        var keys = dict.Entries.Select(e => SortKey(byValue ? e.Value : e.Key, caseSensitive)).ToList();
        return new ListValue(StableSort(pairs, keys, reverse));
    }

    private static TemplateValue MinMax(TemplateValue value, CallArguments args, bool max)
    {
        var caseSensitive = args.GetBool(0, "case_sensitive", false);
        var getter = args.GetString(1, "attribute") is { } attribute ? AttributeGetter(attribute, null) : (x => x);
        TemplateValue? best = null;
        foreach (var item in Operators.Iterate(value))
        {
            if (best is null)
            {
                best = item;
                continue;
            }

            var c = Operators.Compare(SortKey(getter(item), caseSensitive), SortKey(getter(best), caseSensitive));
            if (max ? c > 0 : c < 0)
            {
                best = item;
            }
        }

        return best ?? new UndefinedValue($"No aggregated item, sequence was empty.");
    }

    private static TemplateValue Sum(TemplateValue value, CallArguments args, RenderContext context)
    {
        var items = Operators.Iterate(value);
        if (args.GetString(0, "attribute") is { } attribute)
        {
            items = items.Select(AttributeGetter(attribute, null));
        }

        return items.Aggregate(args.Get(1, "start", new IntValue(0)), (total, item) => Operators.Binary("+", total, item));
    }
}
