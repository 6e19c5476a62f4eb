using System.Text;

namespace Tandem.Engine.ChatTemplates;

/// <summary>A variable scope: the template's top level, one for-loop iteration, or one macro call.</summary>
internal sealed class Scope(Scope? parent)
{
    private readonly Dictionary<string, TemplateValue> variables = new(StringComparer.Ordinal);

    public Scope? Parent { get; } = parent;

    public TemplateValue Lookup(string name)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope.variables.TryGetValue(name, out var value))
            {
                return value;
            }
        }

        return new UndefinedValue($"'{name}' is undefined");
    }

    public void Set(string name, TemplateValue value) => variables[name] = value;
}

/// <summary>The state of one render: where output goes, the current scope, and the clock.</summary>
internal sealed class RenderContext(Scope scope, TimeProvider clock)
{
    public StringBuilder Output { get; private set; } = new();

    public Scope Scope { get; set; } = scope;

    public TimeProvider Clock { get; } = clock;

    /// <summary>Runs <paramref name="body"/> with output going to a fresh buffer, and returns what it wrote.</summary>
    public string Capture(Action body)
    {
        var saved = Output;
        Output = new StringBuilder();
        try
        {
            body();
            return Output.ToString();
        }
        finally
        {
            Output = saved;
        }
    }
}

/// <summary>The evaluated arguments of a call, filter or test: positional, then keyword.</summary>
internal sealed class CallArguments(List<TemplateValue> positional, List<KeyValuePair<string, TemplateValue>> named)
{
    public static readonly CallArguments Empty = new([], []);

    public List<TemplateValue> Positional { get; } = positional;

    public List<KeyValuePair<string, TemplateValue>> Named { get; } = named;

    /// <summary>The argument at <paramref name="index"/> or named <paramref name="name"/>, else null.</summary>
    public TemplateValue? Get(int index, string name)
    {
        foreach (var (key, value) in Named)
        {
            if (key == name)
            {
                return value;
            }
        }

        return index >= 0 && index < Positional.Count ? Positional[index] : null;
    }

    public TemplateValue Get(int index, string name, TemplateValue fallback) => Get(index, name) ?? fallback;

    public bool GetBool(int index, string name, bool fallback) => Get(index, name)?.IsTruthy ?? fallback;

    public long GetInt(int index, string name, long fallback) => Get(index, name) switch
    {
        null or NoneValue => fallback,
        var v when Operators.TryNumber(v, out var n) => n.IsFloat ? (long)n.Float : n.Integer,
        var v => throw new ChatTemplateException($"'{name}' must be an integer, not {v.TypeName}"),
    };

    public string? GetString(int index, string name) => Get(index, name) switch
    {
        null or NoneValue or UndefinedValue => null,
        var v => PythonText.Str(v),
    };
}
