namespace Tandem.Engine.ChatTemplates;

/// <summary>
/// The names every render sees (Jinja2's <c>range</c>, <c>namespace</c>, <c>dict</c>, plus transformers'
/// <c>raise_exception</c> and <c>strftime_now</c>), held in a scope under the render's variables.
/// </summary>
internal static class Globals
{
    private static readonly Scope Root = Create();

    public static Scope Scope => Root;

    private static Scope Create()
    {
        var scope = new Scope(null);
        Add(scope, "range", Range);
        Add(scope, "namespace", Namespace);
        Add(scope, "dict", Dict);
        Add(scope, "raise_exception", (args, _) =>
            throw new ChatTemplateException(args.GetString(0, "message") ?? "raise_exception called"));
        Add(scope, "strftime_now", (args, context) =>
            new StringValue(Strftime.Format(context.Clock.GetUtcNow(), args.GetString(0, "format") ?? string.Empty)));
        return scope;
    }

    private static void Add(Scope scope, string name, NativeFunction function) => scope.Set(name, new CallableValue(name, function));

    private static TemplateValue Range(CallArguments args, RenderContext context)
    {
        long Bound(int i) => args.GetInt(i, "\0", 0);
        var (start, stop, step) = args.Positional.Count switch
        {
            1 => (0L, Bound(0), 1L),
            2 => (Bound(0), Bound(1), 1L),
            3 => (Bound(0), Bound(1), Bound(2)),
            _ => throw new ChatTemplateException("range expected 1 to 3 arguments"),
        };
        if (step == 0)
        {
            throw new ChatTemplateException("range() arg 3 must not be zero");
        }

        var items = new List<TemplateValue>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            if (items.Count >= 100_000)
            {
                throw new ChatTemplateException("range too big, maximum size for range is 100000");
            }

            items.Add(new IntValue(i));
        }

        return new ListValue(items);
    }

    private static TemplateValue Namespace(CallArguments args, RenderContext context)
    {
        var ns = new NamespaceValue();
        foreach (var positional in args.Positional)
        {
            if (positional is not DictValue dict)
            {
                throw new ChatTemplateException("namespace() takes a mapping or keyword arguments");
            }

            foreach (var (key, value) in dict.Entries)
            {
                ns.Attributes[PythonText.Str(key)] = value;
            }
        }

        foreach (var (key, value) in args.Named)
        {
            ns.Attributes[key] = value;
        }

        return ns;
    }

    private static TemplateValue Dict(CallArguments args, RenderContext context)
    {
        var dict = new DictValue();
        foreach (var positional in args.Positional)
        {
            if (positional is DictValue source)
            {
                foreach (var (key, value) in source.Entries)
                {
                    dict.Set(key, value);
                }
            }
        }

        foreach (var (key, value) in args.Named)
        {
            dict.Set(new StringValue(key), value);
        }

        return dict;
    }
}
