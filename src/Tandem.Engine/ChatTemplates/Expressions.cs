namespace Tandem.Engine.ChatTemplates;

/// <summary>An expression node; evaluating it walks the tree (the template is parsed once, rendered many times).</summary>
internal abstract class Expr
{
    public abstract TemplateValue Evaluate(RenderContext context);
}

internal sealed class LiteralExpr(TemplateValue value) : Expr
{
    public TemplateValue Value { get; } = value;

    public override TemplateValue Evaluate(RenderContext context) => Value;
}

internal sealed class NameExpr(string name) : Expr
{
    public string Name { get; } = name;

    public override TemplateValue Evaluate(RenderContext context) => context.Scope.Lookup(Name);
}

internal sealed class SequenceExpr(List<Expr> items, bool isTuple) : Expr
{
    public List<Expr> Items { get; } = items;

    public bool IsTuple { get; } = isTuple;

    public override TemplateValue Evaluate(RenderContext context) =>
        new ListValue(Items.ConvertAll(item => item.Evaluate(context)), IsTuple ? SequenceKind.Tuple : SequenceKind.List);
}

internal sealed class DictExpr(List<(Expr Key, Expr Value)> entries) : Expr
{
    public override TemplateValue Evaluate(RenderContext context)
    {
        var dict = new DictValue();
        foreach (var (key, value) in entries)
        {
            dict.Set(key.Evaluate(context), value.Evaluate(context));
        }

        return dict;
    }
}

internal sealed class AttributeExpr(Expr target, string name) : Expr
{
    public Expr Target { get; } = target;

    public string Name { get; } = name;

    public override TemplateValue Evaluate(RenderContext context) => Access.GetAttribute(Target.Evaluate(context), Name);
}

internal sealed class ItemExpr(Expr target, Expr key) : Expr
{
    public override TemplateValue Evaluate(RenderContext context) => Access.GetItem(target.Evaluate(context), key.Evaluate(context));
}

internal sealed class SliceExpr(Expr target, Expr? start, Expr? stop, Expr? step) : Expr
{
    public override TemplateValue Evaluate(RenderContext context) => Access.Slice(
        target.Evaluate(context),
        start?.Evaluate(context),
        stop?.Evaluate(context),
        step?.Evaluate(context));
}

/// <summary>One argument as written: positional, <c>name=value</c>, <c>*list</c> or <c>**dict</c>.</summary>
internal sealed record Argument(string? Name, Expr Value, bool Splat = false, bool DoubleSplat = false);

internal static class ArgumentList
{
    public static CallArguments Evaluate(List<Argument> arguments, RenderContext context)
    {
        if (arguments.Count == 0)
        {
            return CallArguments.Empty;
        }

        var positional = new List<TemplateValue>();
        var named = new List<KeyValuePair<string, TemplateValue>>();
        foreach (var argument in arguments)
        {
            var value = argument.Value.Evaluate(context);
            if (argument.Splat)
            {
                positional.AddRange(Operators.Iterate(value));
            }
            else if (argument.DoubleSplat)
            {
                if (value is not DictValue dict)
                {
                    throw new ChatTemplateException($"argument after ** must be a mapping, not {value.TypeName}");
                }

                named.AddRange(dict.Entries.Select(e => KeyValuePair.Create(PythonText.Str(e.Key), e.Value)));
            }
            else if (argument.Name is null)
            {
                positional.Add(value);
            }
            else
            {
                named.Add(KeyValuePair.Create(argument.Name, value));
            }
        }

        return new CallArguments(positional, named);
    }
}

internal sealed class CallExpr(Expr callee, List<Argument> arguments) : Expr
{
    public Expr Callee { get; } = callee;

    public List<Argument> Arguments { get; } = arguments;

    public override TemplateValue Evaluate(RenderContext context) => Invoke(context, ArgumentList.Evaluate(Arguments, context));

    public TemplateValue Invoke(RenderContext context, CallArguments arguments) => Callee.Evaluate(context) switch
    {
        CallableValue callable => callable.Function(arguments, context),
        UndefinedValue undefined => throw undefined.Error(),
        var other => throw new ChatTemplateException($"'{other.TypeName}' object is not callable"),
    };
}

internal sealed class FilterExpr(Expr? input, string name, List<Argument> arguments, int line, int column) : Expr
{
    public string Name { get; } = name;

    public override TemplateValue Evaluate(RenderContext context) => Apply(input!.Evaluate(context), context);

    /// <summary>Applies the filter to a value already computed (a <c>{% filter %}</c> block's output).</summary>
    public TemplateValue Apply(TemplateValue value, RenderContext context)
    {
        if (!Filters.TryGet(Name, out var filter))
        {
            throw new ChatTemplateException($"no filter named '{Name}'", line, column);
        }

        return filter(value, ArgumentList.Evaluate(arguments, context), context);
    }
}

internal sealed class TestExpr(Expr input, string name, List<Argument> arguments, int line, int column) : Expr
{
    public override TemplateValue Evaluate(RenderContext context)
    {
        if (!TemplateTests.TryGet(name, out var test))
        {
            throw new ChatTemplateException($"no test named '{name}'", line, column);
        }

        return TemplateValue.From(test(input.Evaluate(context), ArgumentList.Evaluate(arguments, context)));
    }
}

internal sealed class NotExpr(Expr operand) : Expr
{
    public override TemplateValue Evaluate(RenderContext context) => TemplateValue.From(!operand.Evaluate(context).IsTruthy);
}

internal sealed class SignExpr(Expr operand, bool negative) : Expr
{
    public override TemplateValue Evaluate(RenderContext context) => Operators.Negate(operand.Evaluate(context), negative);
}

internal sealed class BinaryExpr(string op, Expr left, Expr right) : Expr
{
    public override TemplateValue Evaluate(RenderContext context) =>
        Operators.Binary(op, left.Evaluate(context), right.Evaluate(context));
}

internal sealed class ConcatExpr(Expr left, Expr right) : Expr
{
    public override TemplateValue Evaluate(RenderContext context) =>
        new StringValue(PythonText.Str(left.Evaluate(context)) + PythonText.Str(right.Evaluate(context)));
}

internal sealed class AndExpr(Expr left, Expr right) : Expr
{
    public override TemplateValue Evaluate(RenderContext context)
    {
        var value = left.Evaluate(context);
        return value.IsTruthy ? right.Evaluate(context) : value;
    }
}

internal sealed class OrExpr(Expr left, Expr right) : Expr
{
    public override TemplateValue Evaluate(RenderContext context)
    {
        var value = left.Evaluate(context);
        return value.IsTruthy ? value : right.Evaluate(context);
    }
}

/// <summary>A comparison chain: <c>a &lt; b &lt;= c</c>, <c>x in y</c>, <c>x not in y</c>.</summary>
internal sealed class CompareExpr(Expr first, List<(string Op, Expr Operand)> rest) : Expr
{
    public override TemplateValue Evaluate(RenderContext context)
    {
        var left = first.Evaluate(context);
        foreach (var (op, operand) in rest)
        {
            var right = operand.Evaluate(context);
            var holds = op switch
            {
                "==" => Operators.Equal(left, right),
                "!=" => !Operators.Equal(left, right),
                "<" => Operators.Compare(left, right) < 0,
                "<=" => Operators.Compare(left, right) <= 0,
                ">" => Operators.Compare(left, right) > 0,
                ">=" => Operators.Compare(left, right) >= 0,
                "in" => Operators.Contains(right, left),
                _ => !Operators.Contains(right, left),
            };
            if (!holds)
            {
                return TemplateValue.False;
            }

            left = right;
        }

        return TemplateValue.True;
    }
}

internal sealed class ConditionalExpr(Expr condition, Expr then, Expr? otherwise) : Expr
{
    public override TemplateValue Evaluate(RenderContext context) => condition.Evaluate(context).IsTruthy
        ? then.Evaluate(context)
        : otherwise?.Evaluate(context) ?? UndefinedValue.Anonymous;
}
