namespace Tandem.Engine.ChatTemplates;

/// <summary>
/// Builds the statement tree from tokens, following Jinja2's parser (statements here, expressions in
/// <c>Parser.Expressions.cs</c>). Syntax errors carry the line and column of the offending token.
/// </summary>
internal sealed partial class Parser
{
    private readonly List<Token> tokens;
    private int index;

    private Parser(List<Token> tokens) => this.tokens = tokens;

    private Token Current => tokens[index];

    public static List<Stmt> Parse(string source, bool trimBlocks, bool lstripBlocks)
    {
        var parser = new Parser(Lexer.Tokenize(source, trimBlocks, lstripBlocks));
        var (body, _) = parser.ParseBody([]);
        return body;
    }

    private Token Next() => tokens[index++];

    private Token Peek(int offset = 1) => tokens[Math.Min(index + offset, tokens.Count - 1)];

    private ChatTemplateException Error(string message, Token? at = null)
    {
        var token = at ?? Current;
        return new ChatTemplateException(message, token.Line, token.Column);
    }

    private Token Expect(TokenKind kind, string? value = null)
    {
        var token = Current;
        if (token.Kind != kind || (value is not null && token.Value != value))
        {
            var wanted = value ?? kind.ToString();
            var found = token.Kind == TokenKind.End ? "end of template" : $"'{token.Value}'";
            throw Error($"expected {wanted}, found {found}");
        }

        index++;
        return token;
    }

    private string ExpectName() => Expect(TokenKind.Name).Value;

    private bool Skip(string op)
    {
        if (Current.IsOperator(op))
        {
            index++;
            return true;
        }

        return false;
    }

    private bool SkipName(string name)
    {
        if (Current.IsName(name))
        {
            index++;
            return true;
        }

        return false;
    }

    /// <summary>Parses statements until a block tag named in <paramref name="endTags"/>; returns it, consumed.</summary>
    private (List<Stmt> Body, string EndTag) ParseBody(string[] endTags)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.Text:
                    index++;
                    body.Add(new TextStmt(token.Value));
                    break;
                case TokenKind.VariableBegin:
                    index++;
                    body.Add(new PrintStmt(ParseTuple()));
                    Expect(TokenKind.VariableEnd);
                    break;
                case TokenKind.BlockBegin:
                    var name = Peek();
                    if (name.Kind == TokenKind.Name && Array.IndexOf(endTags, name.Value) >= 0)
                    {
                        index += 2;
                        return (body, name.Value);
                    }

                    index++;
                    body.Add(ParseStatement(endTags));
                    break;
                case TokenKind.End:
                    if (endTags.Length > 0)
                    {
                        throw Error($"unexpected end of template, expected '{endTags[^1]}'");
                    }

                    return (body, string.Empty);
                default:
                    throw Error($"unexpected '{token.Value}'");
            }
        }
    }

    private Stmt ParseStatement(string[] enclosing)
    {
        var tag = Current;
        if (tag.Kind != TokenKind.Name)
        {
            throw Error("expected a tag name");
        }

        index++;
        Stmt statement = tag.Value switch
        {
            "if" => ParseIf(),
            "for" => ParseFor(),
            "set" => ParseSet(),
            "macro" => ParseMacro(),
            "call" => ParseCallBlock(),
            "filter" => ParseFilterBlock(),
            "break" => new BreakStmt(Flow.Break),
            "continue" => new BreakStmt(Flow.Continue),
            "generation" => ParseBlock("endgeneration"),
            _ => throw Error(
                enclosing.Length > 0
                    ? $"encountered unknown tag '{tag.Value}'; expected one of {string.Join(", ", enclosing.Select(e => $"'{e}'"))}"
                    : $"encountered unknown tag '{tag.Value}'",
                tag),
        };
        if (statement is not SetBlockStmt and not BlockStmt and not IfStmt and not ForStmt and not MacroStmt and not CallBlockStmt and not FilterBlockStmt)
        {
            Expect(TokenKind.BlockEnd);
        }

        return statement;
    }

    private BlockStmt ParseBlock(string end)
    {
        Expect(TokenKind.BlockEnd);
        var (body, _) = ParseBody([end]);
        Expect(TokenKind.BlockEnd);
        return new BlockStmt(body);
    }

    private IfStmt ParseIf()
    {
        var branches = new List<(Expr, List<Stmt>)>();
        List<Stmt> otherwise = [];
        var condition = ParseTuple(withCondition: false);
        while (true)
        {
            Expect(TokenKind.BlockEnd);
            var (body, end) = ParseBody(["elif", "else", "endif"]);
            branches.Add((condition, body));
            if (end == "elif")
            {
                condition = ParseTuple(withCondition: false);
                continue;
            }

            if (end == "else")
            {
                Expect(TokenKind.BlockEnd);
                (otherwise, _) = ParseBody(["endif"]);
            }

            Expect(TokenKind.BlockEnd);
            return new IfStmt(branches, otherwise);
        }
    }

    private ForStmt ParseFor()
    {
        var target = ParseAssignTarget(allowAttribute: false, "in");
        if (!SkipName("in"))
        {
            throw Error("expected 'in'");
        }

        var iterable = ParseTuple(withCondition: false, "recursive");
        var condition = SkipName("if") ? ParseExpression() : null;
        if (SkipName("recursive"))
        {
            throw Error("recursive loops are not supported");
        }

        Expect(TokenKind.BlockEnd);
        var (body, end) = ParseBody(["endfor", "else"]);
        List<Stmt> otherwise = [];
        if (end == "else")
        {
            Expect(TokenKind.BlockEnd);
            (otherwise, _) = ParseBody(["endfor"]);
        }

        Expect(TokenKind.BlockEnd);
        return new ForStmt(target, iterable, condition, body, otherwise);
    }

    private Stmt ParseSet()
    {
        var target = ParseAssignTarget(allowAttribute: true);
        if (Skip("="))
        {
            return new SetStmt(target, ParseTuple());
        }

        var filters = ParseFilterChain(requireFirst: false);
        Expect(TokenKind.BlockEnd);
        var (body, _) = ParseBody(["endset"]);
        Expect(TokenKind.BlockEnd);
        return new SetBlockStmt(target, body, filters);
    }

    private AssignTarget ParseAssignTarget(bool allowAttribute, params string[] extraEnd)
    {
        var start = Current;
        if (allowAttribute && Current.Kind == TokenKind.Name && Peek().IsOperator("."))
        {
            var ns = Next().Value;
            index++;
            return new AssignTarget([ns], false, ExpectName());
        }

        var parenthesized = Skip("(");
        var names = new List<string>();
        var isTuple = parenthesized;
        while (true)
        {
            if (Current.Kind != TokenKind.Name)
            {
                throw Error($"can't assign to {(Current.Kind == TokenKind.End ? "end of template" : $"'{Current.Value}'")}", start);
            }

            names.Add(Next().Value);
            if (!Skip(","))
            {
                break;
            }

            isTuple = true;
            if (Current.IsOperator(")") || (Current.Kind == TokenKind.Name && Array.IndexOf(extraEnd, Current.Value) >= 0))
            {
                break;
            }
        }

        if (parenthesized)
        {
            Expect(TokenKind.Operator, ")");
        }

        return new AssignTarget(names, isTuple, null);
    }

    private MacroStmt ParseMacro()
    {
        var name = ExpectName();
        var parameters = ParseParameters();
        Expect(TokenKind.BlockEnd);
        var (body, _) = ParseBody(["endmacro"]);
        Expect(TokenKind.BlockEnd);
        return new MacroStmt(name, parameters, body);
    }

    private List<MacroParameter> ParseParameters()
    {
        var parameters = new List<MacroParameter>();
        Expect(TokenKind.Operator, "(");
        while (!Skip(")"))
        {
            if (parameters.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (Skip(")"))
                {
                    break;
                }
            }

            var name = ExpectName();
            parameters.Add(new MacroParameter(name, Skip("=") ? ParseExpression() : null));
        }

        return parameters;
    }

    private CallBlockStmt ParseCallBlock()
    {
        var parameters = Current.IsOperator("(") ? ParseParameters() : [];
        var start = Current;
        if (ParseExpression() is not CallExpr call)
        {
            throw Error("expected a call", start);
        }

        Expect(TokenKind.BlockEnd);
        var (body, _) = ParseBody(["endcall"]);
        Expect(TokenKind.BlockEnd);
        return new CallBlockStmt(call, parameters, body);
    }

    private FilterBlockStmt ParseFilterBlock()
    {
        var filters = ParseFilterChain(requireFirst: true);
        Expect(TokenKind.BlockEnd);
        var (body, _) = ParseBody(["endfilter"]);
        Expect(TokenKind.BlockEnd);
        return new FilterBlockStmt(filters, body);
    }

    /// <summary><c>name(args) | name2 ...</c> as in <c>{% filter %}</c> and <c>{% set x | f %}</c>.</summary>
    private List<FilterExpr> ParseFilterChain(bool requireFirst)
    {
        var filters = new List<FilterExpr>();
        if (!requireFirst && !Skip("|"))
        {
            return filters;
        }

        do
        {
            filters.Add(ParseFilter(null));
        }
        while (Skip("|"));
        return filters;
    }
}
