using System.Runtime.CompilerServices;

namespace Tandem.Engine.ChatTemplates;

/// <summary>How a statement finished: normally, or by <c>{% break %}</c>/<c>{% continue %}</c>.</summary>
internal enum Flow
{
    Normal,
    Break,
    Continue,
}

internal abstract class Stmt
{
    public abstract Flow Execute(RenderContext context);

    public static Flow ExecuteAll(List<Stmt> body, RenderContext context)
    {
        foreach (var statement in body)
        {
            var flow = statement.Execute(context);
            if (flow != Flow.Normal)
            {
                return flow;
            }
        }

        return Flow.Normal;
    }
}

internal sealed class TextStmt(string text) : Stmt
{
    public override Flow Execute(RenderContext context)
    {
        context.Output.Append(text);
        return Flow.Normal;
    }
}

internal sealed class PrintStmt(Expr expression) : Stmt
{
    public override Flow Execute(RenderContext context)
    {
        var value = expression.Evaluate(context);
        if (value is StringValue s)
        {
            context.Output.Append(s.Value);
        }
        else if (value is not UndefinedValue)
        {
            context.Output.Append(PythonText.Str(value));
        }

        return Flow.Normal;
    }
}

internal sealed class BreakStmt(Flow flow) : Stmt
{
    public override Flow Execute(RenderContext context) => flow;
}

/// <summary>A body run as is: <c>{% generation %}</c> (transformers' assistant-mask marker renders its body).</summary>
internal sealed class BlockStmt(List<Stmt> body) : Stmt
{
    public override Flow Execute(RenderContext context) => ExecuteAll(body, context);
}

internal sealed class IfStmt(List<(Expr Condition, List<Stmt> Body)> branches, List<Stmt> otherwise) : Stmt
{
    public override Flow Execute(RenderContext context)
    {
        foreach (var (condition, body) in branches)
        {
            if (condition.Evaluate(context).IsTruthy)
            {
                return ExecuteAll(body, context);
            }
        }

        return ExecuteAll(otherwise, context);
    }
}

/// <summary>An assignment target: a name, a tuple of names, or <c>ns.attribute</c>.</summary>
internal sealed record AssignTarget(List<string> Names, bool IsTuple, string? Attribute)
{
    public void Assign(RenderContext context, TemplateValue value)
    {
        if (Attribute is not null)
        {
            if (context.Scope.Lookup(Names[0]) is not NamespaceValue ns)
            {
                throw new ChatTemplateException("cannot assign attribute on non-namespace object");
            }

            ns.Attributes[Attribute] = value;
            return;
        }

        if (!IsTuple)
        {
            context.Scope.Set(Names[0], value);
            return;
        }

        var items = Operators.ToList(value);
        if (items.Count != Names.Count)
        {
            throw new ChatTemplateException(
                items.Count > Names.Count ? $"too many values to unpack (expected {Names.Count})" : $"not enough values to unpack (expected {Names.Count}, got {items.Count})");
        }

        for (var i = 0; i < Names.Count; i++)
        {
            context.Scope.Set(Names[i], items[i]);
        }
    }
}

internal sealed class SetStmt(AssignTarget target, Expr value) : Stmt
{
    public override Flow Execute(RenderContext context)
    {
        target.Assign(context, value.Evaluate(context));
        return Flow.Normal;
    }
}

/// <summary><c>{% set x %}...{% endset %}</c>, optionally piped through filters.</summary>
internal sealed class SetBlockStmt(AssignTarget target, List<Stmt> body, List<FilterExpr> filters) : Stmt
{
    public override Flow Execute(RenderContext context)
    {
        TemplateValue value = new StringValue(context.Capture(() => ExecuteAll(body, context)));
        foreach (var filter in filters)
        {
            value = filter.Apply(value, context);
        }

        target.Assign(context, value);
        return Flow.Normal;
    }
}

internal sealed class FilterBlockStmt(List<FilterExpr> filters, List<Stmt> body) : Stmt
{
    public override Flow Execute(RenderContext context)
    {
        TemplateValue value = new StringValue(context.Capture(() => ExecuteAll(body, context)));
        foreach (var filter in filters)
        {
            value = filter.Apply(value, context);
        }

        context.Output.Append(PythonText.Str(value));
        return Flow.Normal;
    }
}

/// <summary>
/// <c>{% for targets in iterable [if condition] %}...{% else %}...{% endfor %}</c>. Each iteration runs in a
/// fresh scope over the enclosing one, so assignments inside do not leak out (nor carry to the next iteration).
/// </summary>
internal sealed class ForStmt(AssignTarget target, Expr iterable, Expr? condition, List<Stmt> body, List<Stmt> otherwise) : Stmt
{
    public override Flow Execute(RenderContext context)
    {
        var source = iterable.Evaluate(context);
        var items = source switch
        {
            ListValue l => l.Items,
            DictValue or StringValue or UndefinedValue => Operators.ToList(source),
            _ => throw new ChatTemplateException($"'{source.TypeName}' object is not iterable"),
        };
        var outer = context.Scope;
        try
        {
            if (condition is not null)
            {
                items = items.FindAll(item =>
                {
                    context.Scope = new Scope(outer);
                    target.Assign(context, item);
                    return condition.Evaluate(context).IsTruthy;
                });
            }

            if (items.Count == 0)
            {
                context.Scope = outer;
                return ExecuteAll(otherwise, context);
            }

            for (var index = 0; index < items.Count; index++)
            {
                context.Scope = new Scope(outer);
                context.Scope.Set("loop", new LoopValue(items, index));
                target.Assign(context, items[index]);
                if (ExecuteAll(body, context) == Flow.Break)
                {
                    break;
                }
            }

            return Flow.Normal;
        }
        finally
        {
            context.Scope = outer;
        }
    }
}

internal sealed class LoopValue(List<TemplateValue> items, int index) : ObjectValue
{
    internal override string TypeName => "LoopContext";

    public override TemplateValue? GetAttribute(string name) => name switch
    {
        "index" => new IntValue(index + 1),
        "index0" => new IntValue(index),
        "revindex" => new IntValue(items.Count - index),
        "revindex0" => new IntValue(items.Count - index - 1),
        "first" => TemplateValue.From(index == 0),
        "last" => TemplateValue.From(index == items.Count - 1),
        "length" => new IntValue(items.Count),
        "depth" => new IntValue(1),
        "depth0" => new IntValue(0),
        "previtem" => index > 0 ? items[index - 1] : new UndefinedValue("there is no previous item"),
        "nextitem" => index + 1 < items.Count ? items[index + 1] : new UndefinedValue("there is no next item"),
        "cycle" => new CallableValue("cycle", (args, _) => args.Positional.Count == 0
            ? throw new ChatTemplateException("no items for cycling given")
            : args.Positional[index % args.Positional.Count]),
        _ => null,
    };
}

/// <summary>A macro's parameter: its name and default (evaluated at call time when the argument is absent).</summary>
internal sealed record MacroParameter(string Name, Expr? Default);

internal sealed class MacroStmt(string name, List<MacroParameter> parameters, List<Stmt> body) : Stmt
{
    public override Flow Execute(RenderContext context)
    {
        context.Scope.Set(name, Create(name, parameters, body, context.Scope));
        return Flow.Normal;
    }

    /// <summary>A callable that runs <paramref name="body"/> in a scope over <paramref name="closure"/> and returns its output.</summary>
    public static CallableValue Create(string name, List<MacroParameter> parameters, List<Stmt> body, Scope closure) =>
        new(name, (args, context) =>
        {
            RuntimeHelpers.EnsureSufficientExecutionStack();
            var saved = context.Scope;
            context.Scope = new Scope(closure);
            try
            {
                var kwargs = new DictValue();
                foreach (var (key, value) in args.Named)
                {
                    if (key == "caller")
                    {
                        context.Scope.Set("caller", value);
                    }
                    else if (!parameters.Exists(p => p.Name == key))
                    {
                        kwargs.Set(new StringValue(key), value);
                    }
                }

                for (var i = 0; i < parameters.Count; i++)
                {
                    var parameter = parameters[i];
                    var value = args.Named.Find(p => p.Key == parameter.Name).Value
                        ?? (i < args.Positional.Count ? args.Positional[i] : null)
                        ?? parameter.Default?.Evaluate(context)
                        ?? new UndefinedValue($"parameter '{parameter.Name}' was not provided");
                    context.Scope.Set(parameter.Name, value);
                }

                context.Scope.Set("varargs", new ListValue([.. args.Positional.Skip(parameters.Count)], SequenceKind.Tuple));
                context.Scope.Set("kwargs", kwargs);
                return new StringValue(context.Capture(() => ExecuteAll(body, context)));
            }
            finally
            {
                context.Scope = saved;
            }
        });
}

/// <summary><c>{% call(params) macro(args) %}body{% endcall %}</c>: the body becomes the macro's <c>caller()</c>.</summary>
internal sealed class CallBlockStmt(CallExpr call, List<MacroParameter> callerParameters, List<Stmt> body) : Stmt
{
    public override Flow Execute(RenderContext context)
    {
        var caller = MacroStmt.Create("caller", callerParameters, body, context.Scope);
        var args = ArgumentList.Evaluate(call.Arguments, context);
        var withCaller = new CallArguments(args.Positional, [.. args.Named, KeyValuePair.Create("caller", (TemplateValue)caller)]);
        context.Output.Append(PythonText.Str(call.Invoke(context, withCaller)));
        return Flow.Normal;
    }
}
