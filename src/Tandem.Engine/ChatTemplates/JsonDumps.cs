using System.Globalization;
using System.Text;

namespace Tandem.Engine.ChatTemplates;

/// <summary>
/// Python's <c>json.dumps(x, ensure_ascii, indent, separators, sort_keys)</c>, which transformers installs as
/// the <c>tojson</c> filter: default separators <c>", "</c>/<c>": "</c> (<c>","</c> when indenting), no HTML
/// escaping, keys in insertion order.
/// </summary>
internal sealed class JsonDumps
{
    private readonly StringBuilder builder = new();
    private readonly bool ensureAscii;
    private readonly string? indent;
    private readonly string itemSeparator;
    private readonly string keySeparator;
    private readonly bool sortKeys;

    private JsonDumps(bool ensureAscii, string? indent, string itemSeparator, string keySeparator, bool sortKeys)
    {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSeparator = itemSeparator;
        this.keySeparator = keySeparator;
        this.sortKeys = sortKeys;
    }

    public static string Serialize(TemplateValue value, CallArguments args)
    {
        var indent = args.Get(1, "indent") switch
        {
            null or NoneValue => null,
            StringValue s => s.Value,
            var v when Operators.TryNumber(v, out var n) => new string(' ', (int)Math.Max(0, n.Integer)),
            var v => throw new ChatTemplateException($"tojson indent must be an integer or string, not {v.TypeName}"),
        };
        var (item, key) = (indent is null ? ", " : ",", ": ");
        if (args.Get(2, "separators") is ListValue { Items.Count: 2 } separators)
        {
            (item, key) = (PythonText.Str(separators.Items[0]), PythonText.Str(separators.Items[1]));
        }

        var dumps = new JsonDumps(args.GetBool(0, "ensure_ascii", false), indent, item, key, args.GetBool(3, "sort_keys", false));
        dumps.Write(value, 0);
        return dumps.builder.ToString();
    }

    private void Write(TemplateValue value, int depth)
    {
        switch (value)
        {
            case NoneValue:
                builder.Append("null");
                break;
            case BoolValue b:
                builder.Append(b.Value ? "true" : "false");
                break;
            case IntValue i:
                builder.Append(i.Value.ToString(CultureInfo.InvariantCulture));
                break;
            case FloatValue f:
                builder.Append(double.IsNaN(f.Value) ? "NaN" : double.IsInfinity(f.Value) ? (f.Value > 0 ? "Infinity" : "-Infinity") : PythonText.FormatFloat(f.Value));
                break;
            case StringValue s:
                WriteString(s.Value);
                break;
            case ListValue { Kind: not SequenceKind.Generator } l:
                WriteContainer('[', ']', l.Items, depth, item => Write(item, depth + 1));
                break;
            case DictValue d:
                var entries = d.Entries.Select(e => KeyValuePair.Create(KeyText(e.Key), e.Value));
                if (sortKeys)
                {
                    entries = entries.OrderBy(e => e.Key, StringComparer.Ordinal);
                }

                WriteContainer('{', '}', [.. entries], depth, entry =>
                {
                    WriteString(entry.Key);
                    builder.Append(keySeparator);
                    Write(entry.Value, depth + 1);
                });
                break;
            default:
                throw new ChatTemplateException($"Object of type {value.TypeName} is not JSON serializable");
        }
    }

    private static string KeyText(TemplateValue key) => key switch
    {
        StringValue s => s.Value,
        BoolValue b => b.Value ? "true" : "false",
        NoneValue => "null",
        IntValue or FloatValue => PythonText.Str(key),
        _ => throw new ChatTemplateException($"keys must be str, int, float, bool or None, not {key.TypeName}"),
    };

    private void WriteContainer<T>(char open, char close, List<T> items, int depth, Action<T> writeItem)
    {
        builder.Append(open);
        if (items.Count == 0)
        {
            builder.Append(close);
            return;
        }

        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(itemSeparator);
            }

            NewLine(depth + 1);
            writeItem(items[i]);
        }

        NewLine(depth);
        builder.Append(close);
    }

    private void NewLine(int depth)
    {
        if (indent is null)
        {
            return;
        }

        builder.Append('\n');
        for (var i = 0; i < depth; i++)
        {
            builder.Append(indent);
        }
    }

    private void WriteString(string text)
    {
        builder.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append(@"\\"); break;
                case '\n': builder.Append(@"\n"); break;
                case '\r': builder.Append(@"\r"); break;
                case '\t': builder.Append(@"\t"); break;
                case '\b': builder.Append(@"\b"); break;
                case '\f': builder.Append(@"\f"); break;
                default:
                    if (c < 0x20 || (ensureAscii && c > 0x7e))
                    {
                        builder.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
    }
}
