using System.Globalization;
using System.Runtime.CompilerServices;

namespace Tandem.Engine.ChatTemplates;

/// <summary>
/// Expressions, by Jinja2's precedence (loosest first): conditional, or, and, not, comparisons
/// (<c>== != &lt; &lt;= &gt; &gt;= in, not in</c>), <c>+ -</c>, <c>~</c>, <c>* / // %</c>, <c>**</c>, unary
/// <c>- +</c>, then postfix (<c>.attr [item] (call)</c>) and filters/tests (<c>| f</c>, <c>is t</c>).
/// </summary>
internal sealed partial class Parser
{
    private static readonly HashSet<string> ComparisonOperators = ["==", "!=", "<", "<=", ">", ">="];

    /// <summary>A comma-separated list makes a tuple; one expression stands alone.</summary>
    private Expr ParseTuple(bool withCondition = true, params string[] extraEnd)
    {
        var items = new List<Expr>();
        var isTuple = false;
        while (true)
        {
            if (items.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
            }

            if (IsTupleEnd(extraEnd))
            {
                break;
            }

            items.Add(withCondition ? ParseExpression() : ParseOr());
            if (Current.IsOperator(","))
            {
                isTuple = true;
            }
            else
            {
                break;
            }
        }

        if (!isTuple)
        {
            return items.Count == 1 ? items[0] : throw Error("expected an expression");
        }

        return new SequenceExpr(items, isTuple: true);
    }

    private bool IsTupleEnd(string[] extraEnd) =>
        Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.End
        || Current.IsOperator(")")
        || (Current.Kind == TokenKind.Name && Array.IndexOf(extraEnd, Current.Value) >= 0);

    private Expr ParseExpression()
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        var expr = ParseOr();
        while (SkipName("if"))
        {
            var condition = ParseOr();
            var otherwise = SkipName("else") ? ParseExpression() : null;
            expr = new ConditionalExpr(condition, expr, otherwise);
        }

        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (SkipName("or"))
        {
            left = new OrExpr(left, ParseAnd());
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (SkipName("and"))
        {
            left = new AndExpr(left, ParseNot());
        }

        return left;
    }

    private Expr ParseNot() => SkipName("not") ? new NotExpr(ParseNot()) : ParseCompare();

    private Expr ParseCompare()
    {
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && ComparisonOperators.Contains(Current.Value))
            {
                var op = Next().Value;
                rest.Add((op, ParseMath1()));
            }
            else if (SkipName("in"))
            {
                rest.Add(("in", ParseMath1()));
            }
            else if (Current.IsName("not") && Peek().IsName("in"))
            {
                index += 2;
                rest.Add(("not in", ParseMath1()));
            }
            else
            {
                break;
            }
        }

        return rest.Count == 0 ? first : new CompareExpr(first, rest);
    }

    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            var op = Next().Value;
            left = new BinaryExpr(op, left, ParseConcat());
        }

        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMath2();
        while (Skip("~"))
        {
            left = new ConcatExpr(left, ParseMath2());
        }

        return left;
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var op = Next().Value;
            left = new BinaryExpr(op, left, ParsePow());
        }

        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary();
        while (Skip("**"))
        {
            left = new BinaryExpr("**", left, ParseUnary());
        }

        return left;
    }

    private Expr ParseUnary(bool withFilter = true)
    {
        Expr expr;
        if (Skip("-"))
        {
            expr = new SignExpr(ParseUnary(false), negative: true);
        }
        else if (Skip("+"))
        {
            expr = new SignExpr(ParseUnary(false), negative: false);
        }
        else
        {
            expr = ParsePrimary();
        }

        expr = ParsePostfix(expr);
        return withFilter ? ParseFilterAndTests(expr) : expr;
    }

    private Expr ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Name:
                index++;
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpr(TemplateValue.True),
                    "false" or "False" => new LiteralExpr(TemplateValue.False),
                    "none" or "None" => new LiteralExpr(TemplateValue.None),
                    _ => new NameExpr(token.Value),
                };
            case TokenKind.String:
                var text = Next().Value;
                while (Current.Kind == TokenKind.String)
                {
                    text += Next().Value;
                }

                return new LiteralExpr(new StringValue(text));
            case TokenKind.Integer:
                index++;
                return new LiteralExpr(long.TryParse(token.Value, CultureInfo.InvariantCulture, out var integer)
                    ? new IntValue(integer)
                    : new FloatValue(double.Parse(token.Value, CultureInfo.InvariantCulture)));
            case TokenKind.Float:
                index++;
                return new LiteralExpr(new FloatValue(double.Parse(token.Value, CultureInfo.InvariantCulture)));
            case TokenKind.Operator when token.Value == "(":
                index++;
                if (Skip(")"))
                {
                    return new SequenceExpr([], isTuple: true);
                }

                var inner = ParseTuple();
                Expect(TokenKind.Operator, ")");
                return inner;
            case TokenKind.Operator when token.Value == "[":
                index++;
                var items = new List<Expr>();
                while (!Skip("]"))
                {
                    if (items.Count > 0)
                    {
                        Expect(TokenKind.Operator, ",");
                        if (Skip("]"))
                        {
                            break;
                        }
                    }

                    items.Add(ParseExpression());
                }

                return new SequenceExpr(items, isTuple: false);
            case TokenKind.Operator when token.Value == "{":
                index++;
                var entries = new List<(Expr, Expr)>();
                while (!Skip("}"))
                {
                    if (entries.Count > 0)
                    {
                        Expect(TokenKind.Operator, ",");
                        if (Skip("}"))
                        {
                            break;
                        }
                    }

                    var key = ParseExpression();
                    Expect(TokenKind.Operator, ":");
                    entries.Add((key, ParseExpression()));
                }

                return new DictExpr(entries);
            default:
                throw Error(token.Kind == TokenKind.End ? "unexpected end of template" : $"unexpected '{token.Value}'");
        }
    }

    private Expr ParsePostfix(Expr expr)
    {
        while (true)
        {
            if (Skip("."))
            {
                var token = Next();
                expr = token.Kind switch
                {
                    TokenKind.Name => new AttributeExpr(expr, token.Value),
                    TokenKind.Integer => new ItemExpr(expr, new LiteralExpr(new IntValue(long.Parse(token.Value, CultureInfo.InvariantCulture)))),
                    _ => throw Error("expected a name after '.'", token),
                };
            }
            else if (Skip("["))
            {
                expr = ParseSubscript(expr);
            }
            else if (Current.IsOperator("("))
            {
                expr = new CallExpr(expr, ParseCallArguments());
            }
            else
            {
                return expr;
            }
        }
    }

    private Expr ParseSubscript(Expr target)
    {
        var parts = new List<Expr?>();
        Expr? start = null;
        var isSlice = false;
        if (!Current.IsOperator(":"))
        {
            start = ParseExpression();
            if (Current.IsOperator(","))
            {
                var items = new List<Expr> { start };
                while (Skip(",") && !Current.IsOperator("]"))
                {
                    items.Add(ParseExpression());
                }

                Expect(TokenKind.Operator, "]");
                return new ItemExpr(target, new SequenceExpr(items, isTuple: true));
            }
        }

        parts.Add(start);
        while (Skip(":"))
        {
            isSlice = true;
            parts.Add(Current.IsOperator(":") || Current.IsOperator("]") ? null : ParseExpression());
        }

        Expect(TokenKind.Operator, "]");
        if (!isSlice)
        {
            return new ItemExpr(target, start!);
        }

        return new SliceExpr(target, parts[0], parts.Count > 1 ? parts[1] : null, parts.Count > 2 ? parts[2] : null);
    }

    private List<Argument> ParseCallArguments()
    {
        Expect(TokenKind.Operator, "(");
        var arguments = new List<Argument>();
        while (!Skip(")"))
        {
            if (arguments.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (Skip(")"))
                {
                    break;
                }
            }

            if (Skip("*"))
            {
                arguments.Add(new Argument(null, ParseExpression(), Splat: true));
            }
            else if (Skip("**"))
            {
                arguments.Add(new Argument(null, ParseExpression(), DoubleSplat: true));
            }
            else if (Current.Kind == TokenKind.Name && Peek().IsOperator("="))
            {
                var name = Next().Value;
                index++;
                arguments.Add(new Argument(name, ParseExpression()));
            }
            else
            {
                arguments.Add(new Argument(null, ParseExpression()));
            }
        }

        return arguments;
    }

    private Expr ParseFilterAndTests(Expr expr)
    {
        while (true)
        {
            if (Skip("|"))
            {
                expr = ParseFilter(expr);
            }
            else if (Current.IsName("is"))
            {
                expr = ParseTest(expr);
            }
            else if (Current.IsOperator("("))
            {
                expr = new CallExpr(expr, ParseCallArguments());
            }
            else
            {
                return expr;
            }
        }
    }

    private FilterExpr ParseFilter(Expr? input)
    {
        var token = Current;
        var name = ExpectName();
        while (Skip("."))
        {
            name += "." + ExpectName();
        }

        var arguments = Current.IsOperator("(") ? ParseCallArguments() : [];
        return new FilterExpr(input, name, arguments, token.Line, token.Column);
    }

    private Expr ParseTest(Expr input)
    {
        var token = Next();
        var negated = SkipName("not");
        var name = ExpectName();
        while (Skip("."))
        {
            name += "." + ExpectName();
        }

        List<Argument> arguments = [];
        if (Current.IsOperator("("))
        {
            arguments = ParseCallArguments();
        }
        else if ((Current.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
                || Current.IsOperator("(") || Current.IsOperator("[") || Current.IsOperator("{"))
            && !Current.IsName("else") && !Current.IsName("or") && !Current.IsName("and"))
        {
            if (Current.IsName("is"))
            {
                throw Error("you cannot chain multiple tests with is");
            }

            arguments = [new Argument(null, ParsePostfix(ParsePrimary()))];
        }

        Expr test = new TestExpr(input, name, arguments, token.Line, token.Column);
        return negated ? new NotExpr(test) : test;
    }
}
