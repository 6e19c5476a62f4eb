using System.Text.Json;

namespace Tandem.Engine.ChatTemplates;

/// <summary>
/// A Hugging Face chat template: a Jinja2 subset with Python semantics, compiled once by <see cref="Parse(string, TimeProvider?)"/>
/// and rendered many times (thread-safe; each render has its own state). Parsing uses transformers'
/// options (<c>trim_blocks</c> and <c>lstrip_blocks</c> on) and every render sees transformers' globals
/// (<c>raise_exception</c>, <c>strftime_now</c>) plus Jinja2's <c>range</c>, <c>namespace</c> and <c>dict</c>.
/// </summary>
/// <remarks>
/// <see cref="Fallback"/>, for models without a template, renders each message as <c>"{role}: {content}\n"</c>
/// and, when a generation prompt is asked for, ends with <c>"assistant: "</c>.
/// </remarks>
public sealed class ChatTemplate
{
    private const string FallbackSource =
        "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}"
        + "{% if add_generation_prompt %}assistant: {% endif %}";

    private static readonly Lazy<ChatTemplate> FallbackTemplate = new(() => Parse(FallbackSource));

    private readonly List<Stmt> body;
    private readonly TimeProvider clock;

    private ChatTemplate(List<Stmt> body, TimeProvider clock)
    {
        this.body = body;
        this.clock = clock;
    }

    /// <summary>The plain template for models whose tokenizer config has none (see the class remarks).</summary>
    public static ChatTemplate Fallback => FallbackTemplate.Value;

    /// <summary>Parses with transformers' options; <paramref name="clock"/> drives <c>strftime_now</c> (default: system clock).</summary>
    public static ChatTemplate Parse(string source, TimeProvider? clock = null) => Parse(source, true, true, clock);

    /// <summary>Parses with explicit Jinja2 <c>trim_blocks</c>/<c>lstrip_blocks</c>.</summary>
    /// <exception cref="ChatTemplateException">A syntax error, with its line and column.</exception>
    public static ChatTemplate Parse(string source, bool trimBlocks, bool lstripBlocks, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        try
        {
            return new ChatTemplate(Parser.Parse(source, trimBlocks, lstripBlocks), clock ?? TimeProvider.System);
        }
        catch (InsufficientExecutionStackException e)
        {
            throw new ChatTemplateException("template nests too deeply", e);
        }
    }

    /// <summary>
    /// Reads the model's template: <c>chat_template.jinja</c> if present, else <c>tokenizer_config.json</c>'s
    /// <c>chat_template</c> (a string, or a list of <c>{name, template}</c> of which "default" is taken).
    /// Null when the model has none.
    /// </summary>
    public static ChatTemplate? FromTokenizerConfig(string modelDirectory, TimeProvider? clock = null)
    {
        var jinja = Path.Combine(modelDirectory, "chat_template.jinja");
        if (File.Exists(jinja))
        {
            return Parse(File.ReadAllText(jinja), clock);
        }

        var configPath = Path.Combine(modelDirectory, "tokenizer_config.json");
        if (!File.Exists(configPath))
        {
            return null;
        }

        using var config = JsonDocument.Parse(File.ReadAllText(configPath));
        if (!config.RootElement.TryGetProperty("chat_template", out var template))
        {
            return null;
        }

        if (template.ValueKind == JsonValueKind.String)
        {
            return Parse(template.GetString()!, clock);
        }

        if (template.ValueKind == JsonValueKind.Array)
        {
            foreach (var entry in template.EnumerateArray())
            {
                if (entry.TryGetProperty("name", out var name) && name.ValueEquals("default")
                    && entry.TryGetProperty("template", out var source) && source.ValueKind == JsonValueKind.String)
                {
                    return Parse(source.GetString()!, clock);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Renders a conversation as transformers' <c>apply_chat_template</c> does. <paramref name="extraContext"/>
    /// adds variables (<c>tools</c>, <c>enable_thinking</c>...) as CLR values (see <see cref="TemplateValue.FromObject"/>);
    /// a "messages" entry there replaces <paramref name="messages"/> (for list-of-parts content or tool calls).
    /// </summary>
    /// <exception cref="ChatTemplateException">The template raised, or hit a type error or undefined call.</exception>
    public string Render(
        IReadOnlyList<ChatMessage> messages,
        bool addGenerationPrompt,
        string? bosToken,
        string? eosToken,
        IReadOnlyDictionary<string, object?>? extraContext = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var context = new List<KeyValuePair<string, TemplateValue>>
        {
            new("messages", TemplateValue.FromObject(messages)),
            new("add_generation_prompt", TemplateValue.From(addGenerationPrompt)),
        };
        if (bosToken is not null)
        {
            context.Add(new("bos_token", TemplateValue.From(bosToken)));
        }

        if (eosToken is not null)
        {
            context.Add(new("eos_token", TemplateValue.From(eosToken)));
        }

        foreach (var (key, value) in extraContext ?? new Dictionary<string, object?>())
        {
            context.RemoveAll(p => p.Key == key);
            context.Add(new(key, TemplateValue.FromObject(value)));
        }

        return Render(TemplateValue.Dict(context));
    }

    /// <summary>Renders with <paramref name="context"/> (a dict value) as the template's variables.</summary>
    /// <exception cref="ChatTemplateException">The template raised, or hit a type error or undefined call.</exception>
    public string Render(TemplateValue context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var scope = new Scope(Globals.Scope);
        if (context is DictValue dict)
        {
            foreach (var (key, value) in dict.Entries)
            {
                scope.Set(PythonText.Str(key), value);
            }
        }
        else if (context is not NoneValue and not UndefinedValue)
        {
            throw new ArgumentException("the render context must be a dict", nameof(context));
        }

        var state = new RenderContext(scope, clock);
        try
        {
            Stmt.ExecuteAll(body, state);
        }
        catch (InsufficientExecutionStackException e)
        {
            throw new ChatTemplateException("template recursion too deep", e);
        }

        return state.Output.ToString();
    }
}
