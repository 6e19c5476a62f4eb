using System.Collections;
using System.Text.Json;

namespace Tandem.Engine.ChatTemplates;

/// <summary>
/// A value as a template sees it, with Python semantics: <c>None</c>, bool, int, float, str, list (or tuple),
/// dict (insertion-ordered), Jinja2's <c>Undefined</c>, and objects the engine supplies (namespaces, loops,
/// callables). Build contexts with <see cref="FromJson(JsonElement)"/> or <see cref="FromObject"/>.
/// </summary>
public abstract class TemplateValue
{
    private protected TemplateValue()
    {
    }

    public static TemplateValue None => NoneValue.Instance;

    public static TemplateValue Undefined => UndefinedValue.Anonymous;

    public static TemplateValue True => BoolValue.True;

    public static TemplateValue False => BoolValue.False;

    /// <summary>Python truthiness.</summary>
    public abstract bool IsTruthy { get; }

    /// <summary>The Python type name used in error messages.</summary>
    internal abstract string TypeName { get; }

    public static TemplateValue From(string? value) => value is null ? NoneValue.Instance : new StringValue(value);

    public static TemplateValue From(long value) => new IntValue(value);

    public static TemplateValue From(double value) => new FloatValue(value);

    public static TemplateValue From(bool value) => value ? BoolValue.True : BoolValue.False;

    public static TemplateValue List(IEnumerable<TemplateValue> items) => new ListValue([.. items]);

    public static TemplateValue Dict(IEnumerable<KeyValuePair<string, TemplateValue>> entries)
    {
        var dict = new DictValue();
        foreach (var (key, value) in entries)
        {
            dict.Set(new StringValue(key), value);
        }

        return dict;
    }

    /// <summary>Converts JSON, keeping the order of object keys.</summary>
    public static TemplateValue FromJson(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var dict = new DictValue();
                foreach (var property in element.EnumerateObject())
                {
                    dict.Set(new StringValue(property.Name), FromJson(property.Value));
                }

                return dict;
            case JsonValueKind.Array:
                return new ListValue([.. element.EnumerateArray().Select(FromJson)]);
            case JsonValueKind.String:
                return new StringValue(element.GetString()!);
            case JsonValueKind.Number:
                return element.TryGetInt64(out var integer) && !element.GetRawText().AsSpan().ContainsAny(".eE")
                    ? new IntValue(integer)
                    : new FloatValue(element.GetDouble());
            case JsonValueKind.True:
                return BoolValue.True;
            case JsonValueKind.False:
                return BoolValue.False;
            default:
                return NoneValue.Instance;
        }
    }

    public static TemplateValue FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return FromJson(document.RootElement);
    }

    /// <summary>
    /// Converts a CLR value: null, string, bool, integers, floating point, <see cref="JsonElement"/>,
    /// <see cref="ChatMessage"/>, string-keyed dictionaries, enumerables, or a <see cref="TemplateValue"/>.
    /// </summary>
    public static TemplateValue FromObject(object? value) => value switch
    {
        null => NoneValue.Instance,
        TemplateValue v => v,
        string s => new StringValue(s),
        bool b => From(b),
        int or long or short or byte or uint or sbyte or ushort => new IntValue(Convert.ToInt64(value)),
        double or float or decimal => new FloatValue(Convert.ToDouble(value)),
        JsonElement e => FromJson(e),
        ChatMessage m => Dict([new("role", new StringValue(m.Role)), new("content", new StringValue(m.Content))]),
        IEnumerable<KeyValuePair<string, object?>> map => Dict(map.Select(p => KeyValuePair.Create(p.Key, FromObject(p.Value)))),
        IEnumerable<KeyValuePair<string, TemplateValue>> map => Dict(map),
        IEnumerable sequence => new ListValue([.. sequence.Cast<object?>().Select(FromObject)]),
        _ => throw new ArgumentException($"cannot convert {value.GetType().Name} to a template value", nameof(value)),
    };

    /// <summary>Python <c>str()</c> of the value, as <c>{{ value }}</c> prints it.</summary>
    public override string ToString() => PythonText.Str(this);
}

internal sealed class UndefinedValue : TemplateValue
{
    public static readonly UndefinedValue Anonymous = new(null);

    public UndefinedValue(string? hint) => Hint = hint;

    /// <summary>Why the value is undefined ("'x' is undefined"), for error messages.</summary>
    public string? Hint { get; }

    public override bool IsTruthy => false;

    internal override string TypeName => "Undefined";

    public ChatTemplateException Error() => new(Hint ?? "value is undefined");
}

internal sealed class NoneValue : TemplateValue
{
    public static readonly NoneValue Instance = new();

    private NoneValue()
    {
    }

    public override bool IsTruthy => false;

    internal override string TypeName => "NoneType";
}

internal sealed class BoolValue : TemplateValue
{
    public static new readonly BoolValue True = new(true);
    public static new readonly BoolValue False = new(false);

    private BoolValue(bool value) => Value = value;

    public bool Value { get; }

    public override bool IsTruthy => Value;

    internal override string TypeName => "bool";
}

internal sealed class IntValue(long value) : TemplateValue
{
    public long Value { get; } = value;

    public override bool IsTruthy => Value != 0;

    internal override string TypeName => "int";
}

internal sealed class FloatValue(double value) : TemplateValue
{
    public double Value { get; } = value;

    public override bool IsTruthy => Value != 0;

    internal override string TypeName => "float";
}

internal sealed class StringValue(string value) : TemplateValue
{
    public static readonly StringValue Empty = new(string.Empty);

    public string Value { get; } = value;

    public override bool IsTruthy => Value.Length > 0;

    internal override string TypeName => "str";
}

internal enum SequenceKind
{
    List,
    Tuple,

    /// <summary>A lazy result (selectattr, map, items...): iterable once in Python, no len(), no subscript.</summary>
    Generator,
}

internal sealed class ListValue(List<TemplateValue> items, SequenceKind kind = SequenceKind.List) : TemplateValue
{
    public List<TemplateValue> Items { get; } = items;

    public SequenceKind Kind { get; } = kind;

    public override bool IsTruthy => Kind == SequenceKind.Generator || Items.Count > 0;

    internal override string TypeName => Kind switch
    {
        SequenceKind.Tuple => "tuple",
        SequenceKind.Generator => "generator",
        _ => "list",
    };
}

internal sealed class DictValue : TemplateValue
{
    private readonly OrderedDictionary<TemplateValue, TemplateValue> entries = new(ValueEquality.Instance);

    public int Count => entries.Count;

    public IEnumerable<TemplateValue> Keys => entries.Keys;

    public IEnumerable<KeyValuePair<TemplateValue, TemplateValue>> Entries => entries;

    public override bool IsTruthy => entries.Count > 0;

    internal override string TypeName => "dict";

    public void Set(TemplateValue key, TemplateValue value) => entries[key] = value;

    public bool TryGet(TemplateValue key, out TemplateValue value) => entries.TryGetValue(key, out value!);

    public TemplateValue? Get(string key) => entries.TryGetValue(new StringValue(key), out var v) ? v : null;
}

/// <summary>An object with named attributes: <c>namespace()</c>, <c>loop</c>.</summary>
internal abstract class ObjectValue : TemplateValue
{
    public override bool IsTruthy => true;

    public abstract TemplateValue? GetAttribute(string name);
}

internal sealed class NamespaceValue : ObjectValue
{
    public OrderedDictionary<string, TemplateValue> Attributes { get; } = new(StringComparer.Ordinal);

    internal override string TypeName => "Namespace";

    public override TemplateValue? GetAttribute(string name) => Attributes.TryGetValue(name, out var v) ? v : null;
}

internal delegate TemplateValue NativeFunction(CallArguments arguments, RenderContext context);

internal sealed class CallableValue(string name, NativeFunction function) : TemplateValue
{
    public string Name { get; } = name;

    public NativeFunction Function { get; } = function;

    public override bool IsTruthy => true;

    internal override string TypeName => "function";
}
