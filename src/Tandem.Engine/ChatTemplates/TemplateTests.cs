namespace Tandem.Engine.ChatTemplates;

internal delegate bool TestFunction(TemplateValue value, CallArguments args);

/// <summary>Jinja2's tests, used as <c>x is name</c>, <c>x is not name(arg)</c> and by select/reject filters.</summary>
internal static class TemplateTests
{
    private static readonly Dictionary<string, TestFunction> Registry = new(StringComparer.Ordinal)
    {
        ["defined"] = (v, _) => v is not UndefinedValue,
        ["undefined"] = (v, _) => v is UndefinedValue,
        ["none"] = (v, _) => v is NoneValue,
        ["boolean"] = (v, _) => v is BoolValue,
        ["true"] = (v, _) => v is BoolValue { Value: true },
        ["false"] = (v, _) => v is BoolValue { Value: false },
        ["integer"] = (v, _) => v is IntValue,
        ["float"] = (v, _) => v is FloatValue,
        ["number"] = (v, _) => v is IntValue or FloatValue or BoolValue,
        ["string"] = (v, _) => v is StringValue,
        ["mapping"] = (v, _) => v is DictValue,
        ["iterable"] = (v, _) => v is StringValue or ListValue or DictValue or UndefinedValue,
        ["sequence"] = (v, _) => v is StringValue or ListValue { Kind: not SequenceKind.Generator } or DictValue or UndefinedValue,
        ["callable"] = (v, _) => v is CallableValue,
        ["odd"] = (v, _) => Integer(v) % 2 != 0,
        ["even"] = (v, _) => Integer(v) % 2 == 0,
        ["divisibleby"] = (v, a) => Integer(v) % Integer(Argument(a)) == 0,
        ["lower"] = (v, _) => v is StringValue s && s.Value.Any(char.IsLetter) && !s.Value.Any(char.IsUpper),
        ["upper"] = (v, _) => v is StringValue s && s.Value.Any(char.IsLetter) && !s.Value.Any(char.IsLower),
        ["escaped"] = (_, _) => false,
        ["sameas"] = (v, a) => SameAs(v, Argument(a)),
        ["in"] = (v, a) => Operators.Contains(Argument(a), v),
        ["eq"] = Equal,
        ["equalto"] = Equal,
        ["=="] = Equal,
        ["ne"] = (v, a) => !Operators.Equal(v, Argument(a)),
        ["!="] = (v, a) => !Operators.Equal(v, Argument(a)),
        ["lt"] = (v, a) => Operators.Compare(v, Argument(a)) < 0,
        ["lessthan"] = (v, a) => Operators.Compare(v, Argument(a)) < 0,
        ["<"] = (v, a) => Operators.Compare(v, Argument(a)) < 0,
        ["le"] = (v, a) => Operators.Compare(v, Argument(a)) <= 0,
        ["<="] = (v, a) => Operators.Compare(v, Argument(a)) <= 0,
        ["gt"] = (v, a) => Operators.Compare(v, Argument(a)) > 0,
        ["greaterthan"] = (v, a) => Operators.Compare(v, Argument(a)) > 0,
        [">"] = (v, a) => Operators.Compare(v, Argument(a)) > 0,
        ["ge"] = (v, a) => Operators.Compare(v, Argument(a)) >= 0,
        [">="] = (v, a) => Operators.Compare(v, Argument(a)) >= 0,
    };

    public static bool TryGet(string name, out TestFunction test) => Registry.TryGetValue(name, out test!);

    private static bool Equal(TemplateValue value, CallArguments args) => Operators.Equal(value, Argument(args));

    private static TemplateValue Argument(CallArguments args) =>
        args.Positional.Count > 0 ? args.Positional[0] : args.Named.Count > 0 ? args.Named[0].Value
        : throw new ChatTemplateException("test is missing its argument");

    private static long Integer(TemplateValue value) => Operators.TryNumber(value, out var n)
        ? (n.IsFloat ? (long)n.Float : n.Integer)
        : value is UndefinedValue u ? throw u.Error() : throw new ChatTemplateException($"expected a number, not {value.TypeName}");

    private static bool SameAs(TemplateValue value, TemplateValue other) => (value, other) switch
    {
        (NoneValue, NoneValue) => true,
        (BoolValue a, BoolValue b) => a.Value == b.Value,
        (IntValue a, IntValue b) => a.Value == b.Value && a.Value is >= -5 and <= 256,
        _ => ReferenceEquals(value, other),
    };
}
