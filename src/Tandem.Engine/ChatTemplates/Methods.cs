using System.Text;

namespace Tandem.Engine.ChatTemplates;

/// <summary>
/// The Python methods templates call on str, dict and list (<c>'a b'.split()</c>, <c>d.items()</c>,
/// <c>d.get(k)</c>). Mutating methods raise, as in transformers' immutable sandbox.
/// </summary>
internal static class Methods
{
    private static readonly HashSet<string> Mutators = new(StringComparer.Ordinal)
    {
        "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "update", "setdefault", "popitem",
    };

    public static bool TryBind(TemplateValue target, string name, out TemplateValue method)
    {
        Func<CallArguments, TemplateValue>? body = target switch
        {
            StringValue s => StringMethod(s.Value, name),
            DictValue d => DictMethod(d, name),
            ListValue { Kind: not SequenceKind.Generator } l => ListMethod(l, name),
            _ => null,
        };
        if (body is null && target is DictValue or ListValue && Mutators.Contains(name))
        {
            body = _ => throw new ChatTemplateException($"access to attribute '{name}' of '{target.TypeName}' object is unsafe");
        }

        method = body is null ? UndefinedValue.Anonymous : new CallableValue(name, (args, _) => body(args));
        return body is not null;
    }

    private static Func<CallArguments, TemplateValue>? DictMethod(DictValue dict, string name) => name switch
    {
        "items" => _ => new ListValue([.. dict.Entries.Select(e => (TemplateValue)new ListValue([e.Key, e.Value], SequenceKind.Tuple))]),
        "keys" => _ => new ListValue([.. dict.Keys]),
        "values" => _ => new ListValue([.. dict.Entries.Select(e => e.Value)]),
        "get" => args => dict.TryGet(args.Get(0, "key", TemplateValue.None), out var v) ? v : args.Get(1, "default", TemplateValue.None),
        "copy" => _ => CopyDict(dict),
        _ => null,
    };

    private static Func<CallArguments, TemplateValue>? ListMethod(ListValue list, string name) => name switch
    {
        "index" => args => IndexOf(list, args.Get(0, "value", TemplateValue.None)),
        "count" => args => new IntValue(list.Items.Count(x => Operators.Equal(x, args.Get(0, "value", TemplateValue.None)))),
        "copy" => _ => new ListValue([.. list.Items], list.Kind),
        _ => null,
    };

    private static DictValue CopyDict(DictValue dict)
    {
        var copy = new DictValue();
        foreach (var (key, value) in dict.Entries)
        {
            copy.Set(key, value);
        }

        return copy;
    }

    private static IntValue IndexOf(ListValue list, TemplateValue item)
    {
        var index = list.Items.FindIndex(x => Operators.Equal(x, item));
        return index >= 0 ? new IntValue(index) : throw new ChatTemplateException($"{PythonText.Repr(item)} is not in list");
    }

    private static Func<CallArguments, TemplateValue>? StringMethod(string s, string name) => name switch
    {
        "strip" => args => new StringValue(Strip(s, args.GetString(0, "chars"), true, true)),
        "lstrip" => args => new StringValue(Strip(s, args.GetString(0, "chars"), true, false)),
        "rstrip" => args => new StringValue(Strip(s, args.GetString(0, "chars"), false, true)),
        "upper" => _ => new StringValue(s.ToUpperInvariant()),
        "lower" or "casefold" => _ => new StringValue(s.ToLowerInvariant()),
        "title" => _ => new StringValue(Title(s)),
        "capitalize" => _ => new StringValue(Capitalize(s)),
        "swapcase" => _ => new StringValue(string.Concat(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)))),
        "split" => args => Strings(Split(s, args.GetString(0, "sep"), args.GetInt(1, "maxsplit", -1))),
        "rsplit" => args => Strings(RSplit(s, args.GetString(0, "sep"), args.GetInt(1, "maxsplit", -1))),
        "splitlines" => args => Strings(SplitLines(s, args.GetBool(0, "keepends", false))),
        "startswith" => args => TemplateValue.From(Affixes(args).Any(p => s.StartsWith(p, StringComparison.Ordinal))),
        "endswith" => args => TemplateValue.From(Affixes(args).Any(p => s.EndsWith(p, StringComparison.Ordinal))),
        // Keyword arguments to str.replace arrived in Python 3.13; transformers' reference (3.11) rejects them.
        "replace" => args => args.Named.Count > 0
            ? throw new ChatTemplateException("str.replace() takes no keyword arguments")
            : new StringValue(Replace(s, Text(args, 0, "old"), Text(args, 1, "new"), args.GetInt(2, "count", -1))),
        "find" => args => new IntValue(s.IndexOf(Text(args, 0, "sub"), StringComparison.Ordinal)),
        "rfind" => args => new IntValue(s.LastIndexOf(Text(args, 0, "sub"), StringComparison.Ordinal)),
        "index" => args => s.IndexOf(Text(args, 0, "sub"), StringComparison.Ordinal) is var i and >= 0
            ? new IntValue(i)
            : throw new ChatTemplateException("substring not found"),
        "count" => args => new IntValue(Count(s, Text(args, 0, "sub"))),
        "join" => args => new StringValue(string.Join(s, Operators.Iterate(args.Get(0, "iterable", TemplateValue.Undefined)).Select(PythonText.Str))),
        "format" => args => new StringValue(Format(s, args)),
        "isdigit" or "isnumeric" or "isdecimal" => _ => TemplateValue.From(s.Length > 0 && s.All(char.IsDigit)),
        "isalpha" => _ => TemplateValue.From(s.Length > 0 && s.All(char.IsLetter)),
        "isalnum" => _ => TemplateValue.From(s.Length > 0 && s.All(char.IsLetterOrDigit)),
        "isspace" => _ => TemplateValue.From(s.Length > 0 && s.All(char.IsWhiteSpace)),
        "isupper" => _ => TemplateValue.From(s.Any(char.IsLetter) && !s.Any(char.IsLower)),
        "islower" => _ => TemplateValue.From(s.Any(char.IsLetter) && !s.Any(char.IsUpper)),
        "zfill" => args => new StringValue(ZeroFill(s, (int)args.GetInt(0, "width", 0))),
        "center" => args => new StringValue(Center(s, (int)args.GetInt(0, "width", 0), args.GetString(1, "fillchar") ?? " ")),
        "ljust" => args => new StringValue(s.PadRight((int)args.GetInt(0, "width", 0), (args.GetString(1, "fillchar") ?? " ")[0])),
        "rjust" => args => new StringValue(s.PadLeft((int)args.GetInt(0, "width", 0), (args.GetString(1, "fillchar") ?? " ")[0])),
        _ => null,
    };

    private static string Text(CallArguments args, int index, string name) => args.Get(index, name) switch
    {
        StringValue v => v.Value,
        null => throw new ChatTemplateException($"missing argument '{name}'"),
        var v => throw new ChatTemplateException($"must be str, not {v.TypeName}"),
    };

    private static IEnumerable<string> Affixes(CallArguments args) => args.Get(0, "prefix") switch
    {
        StringValue v => [v.Value],
        ListValue { Kind: SequenceKind.Tuple } t => t.Items.Select(PythonText.Str),
        var v => throw new ChatTemplateException($"startswith/endswith first arg must be str or a tuple of str, not {v?.TypeName}"),
    };

    private static ListValue Strings(IEnumerable<string> parts) => new([.. parts.Select(p => (TemplateValue)new StringValue(p))]);

    public static string Strip(string s, string? chars, bool left, bool right)
    {
        static bool Whitespace(char c) => char.IsWhiteSpace(c);
        Func<char, bool> strip = chars is null ? Whitespace : chars.Contains;
        var start = 0;
        var end = s.Length;
        while (left && start < end && strip(s[start]))
        {
            start++;
        }

        while (right && end > start && strip(s[end - 1]))
        {
            end--;
        }

        return s[start..end];
    }

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Python's <c>str.title()</c>: a letter after a non-letter starts a word.</summary>
    private static string Title(string s)
    {
        var builder = new StringBuilder(s.Length);
        var previousCased = false;
        foreach (var c in s)
        {
            builder.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousCased = char.IsLetter(c);
        }

        return builder.ToString();
    }

    public static List<string> Split(string s, string? sep, long maxSplit)
    {
        var parts = new List<string>();
        if (sep is null)
        {
            var i = 0;
            while (true)
            {
                while (i < s.Length && char.IsWhiteSpace(s[i]))
                {
                    i++;
                }

                if (i >= s.Length)
                {
                    break;
                }

                if (maxSplit >= 0 && parts.Count == maxSplit)
                {
                    parts.Add(s[i..]);
                    break;
                }

                var start = i;
                while (i < s.Length && !char.IsWhiteSpace(s[i]))
                {
                    i++;
                }

                parts.Add(s[start..i]);
            }

            return parts;
        }

        if (sep.Length == 0)
        {
            throw new ChatTemplateException("empty separator");
        }

        var from = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            var at = s.IndexOf(sep, from, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }

            parts.Add(s[from..at]);
            from = at + sep.Length;
        }

        parts.Add(s[from..]);
        return parts;
    }

    private static List<string> RSplit(string s, string? sep, long maxSplit)
    {
        if (maxSplit < 0)
        {
            return Split(s, sep, maxSplit);
        }

        var reversed = Split(new string([.. s.Reverse()]), sep is null ? null : new string([.. sep.Reverse()]), maxSplit);
        reversed.Reverse();
        return reversed.ConvertAll(p => new string([.. p.Reverse()]));
    }

    private static List<string> SplitLines(string s, bool keepEnds)
    {
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] is '\n' or '\r')
            {
                var end = i;
                if (s[i] == '\r' && i + 1 < s.Length && s[i + 1] == '\n')
                {
                    i++;
                }

                lines.Add(keepEnds ? s[start..(i + 1)] : s[start..end]);
                start = i + 1;
            }
        }

        if (start < s.Length)
        {
            lines.Add(s[start..]);
        }

        return lines;
    }

    public static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0)
        {
            return old.Length == 0 ? Replace(s, old, replacement, s.Length + 1) : s.Replace(old, replacement, StringComparison.Ordinal);
        }

        var builder = new StringBuilder();
        var from = 0;
        for (var done = 0L; done < count; done++)
        {
            if (old.Length == 0)
            {
                builder.Append(replacement);
                if (from >= s.Length)
                {
                    return builder.ToString();
                }

                builder.Append(s[from]);
                from++;
                continue;
            }

            var at = s.IndexOf(old, from, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }

            builder.Append(s, from, at - from).Append(replacement);
            from = at + old.Length;
        }

        return builder.Append(s, from, s.Length - from).ToString();
    }

    private static int Count(string s, string sub)
    {
        if (sub.Length == 0)
        {
            return s.Length + 1;
        }

        var count = 0;
        for (var at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static string ZeroFill(string s, int width)
    {
        var sign = s.Length > 0 && s[0] is '+' or '-' ? s[..1] : string.Empty;
        return s.Length >= width ? s : sign + new string('0', width - s.Length) + s[sign.Length..];
    }

    private static string Center(string s, int width, string fill)
    {
        if (s.Length >= width)
        {
            return s;
        }

        var total = width - s.Length;
        var left = (total / 2) + (total & width & 1);
        return new string(fill[0], left) + s + new string(fill[0], total - left);
    }

    /// <summary><c>str.format</c> with <c>{}</c>, <c>{0}</c> and <c>{name}</c> fields (no format specs).</summary>
    private static string Format(string s, CallArguments args)
    {
        var builder = new StringBuilder();
        var next = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '{' && i + 1 < s.Length && s[i + 1] == '{')
            {
                builder.Append('{');
                i++;
            }
            else if (s[i] == '}' && i + 1 < s.Length && s[i + 1] == '}')
            {
                builder.Append('}');
                i++;
            }
            else if (s[i] == '{')
            {
                var close = s.IndexOf('}', i);
                if (close < 0)
                {
                    throw new ChatTemplateException("Single '{' encountered in format string");
                }

                var field = s[(i + 1)..close].Split(':')[0];
                var value = field.Length == 0 ? args.Get(next++, "\0")
                    : int.TryParse(field, out var n) ? args.Get(n, "\0")
                    : args.Get(-1, field);
                builder.Append(PythonText.Str(value ?? throw new ChatTemplateException($"format field '{field}' has no argument")));
                i = close;
            }
            else
            {
                builder.Append(s[i]);
            }
        }

        return builder.ToString();
    }
}
