using Microsoft.Extensions.Time.Testing;
using Tandem.Engine.ChatTemplates;

namespace Tandem.Engine.Tests.ChatTemplates;

public class ChatTemplateTests
{
    private static readonly string TinyLlamaDirectory = Path.Combine("models", "tinyllama-1.1b-chat-v1.0-tokenizer");

    // Expected outputs rendered by Python Jinja2 3.1 with transformers' environment (trim_blocks, lstrip_blocks, json.dumps tojson).
    [Theory]
    [InlineData(
        "{% for m in ['a','b','c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}|{% endfor %}",
        "10TrueFalse33|21FalseFalse32|32FalseTrue31|")]
    [InlineData(
        "{% for m in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }}|{% endfor %}",
        "-2|1-3|2-|")]
    [InlineData(
        "{{ [1.5, 1e20, 0.1+0.2, 1e-7, -0.0, 100.0, 2/3] }}",
        "[1.5, 1e+20, 0.30000000000000004, 1e-07, -0.0, 100.0, 0.6666666666666666]")]
    [InlineData(
        "{{ {'a': None, 'b': True, 'c': \"it's\", 'd': (1,)} }}",
        "{'a': None, 'b': True, 'c': \"it's\", 'd': (1,)}")]
    [InlineData(
        "{{ {'x': [1, {'y': 'é\\n'}]} | tojson(indent=2) }}",
        "{\n  \"x\": [\n    1,\n    {\n      \"y\": \"é\\n\"\n    }\n  ]\n}")]
    [InlineData(
        "{{ 'ab\\u00e9' | tojson(ensure_ascii=True) }}",
        "\"ab\\u00e9\"")]
    [InlineData(
        "{% set ns = namespace(n=0) %}{% for i in range(5) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}",
        "10")]
    [InlineData(
        "{{ 'Hello World'[::-1] }}|{{ [1,2,3,4][-2:] }}|{{ 'abc'[1] }}",
        "dlroW olleH|[3, 4]|b")]
    [InlineData(
        "{{ 7 // 2 }} {{ 7 / 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 10 / 4 * 2 }}",
        "3 3.5 2 1024 5.0")]
    [InlineData(
        "{% if x is not defined %}undef{% endif %}{{ x }}|{{ x | default('d') }}|{{ none }}|{{ x is none }}",
        "undef|d|None|False")]
    [InlineData(
        "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Bob') }} {{ greet('Al', punct='?') }}",
        "Hi Bob! Hi Al?")]
    [InlineData(
        "{{ ['b','A','c'] | sort | join(',') }} {{ [3,1,2] | sort(reverse=true) | list }} {{ [1,2,2,3] | unique | list }}",
        "A,b,c [3, 2, 1] [1, 2, 3]")]
    [InlineData(
        "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}",
        "a=1;b=2;")]
    [InlineData(
        "{{ '  x  '.strip() }}|{{ 'a,b,,c'.split(',') }}|{{ 'abc'.startswith('a') }}|{{ 'abc'.endswith(('x','c')) }}",
        "x|['a', 'b', '', 'c']|True|True")]
    [InlineData(
        "{{ [{'r':'a'},{'r':'b'}] | selectattr('r', 'equalto', 'b') | list }}{{ [{'r':'a'},{'r':'b'}] | map(attribute='r') | join }}",
        "[{'r': 'b'}]ab")]
    [InlineData(
        "{{ 'x' ~ 1 ~ none ~ true }}",
        "x1NoneTrue")]
    [InlineData(
        "{%- for i in [1,2] -%}\n  {{ i }}\n{%- endfor %}\n",
        "12")]
    [InlineData(
        "  {% if true %}\n    yes\n  {% endif %}\nend\n",
        "    yes\nend")]
    [InlineData(
        "{{ 'hello world' | title }} {{ 'HELLO' | capitalize }} {{ 'a\\nb' | indent(2, first=true) }}",
        "Hello World Hello   a\n  b")]
    [InlineData(
        "{{ 3.14159 | round(2) }} {{ 2.5 | round }} {{ '42' | int + 1 }} {{ '3.5' | float }}",
        "3.14 2.0 43 3.5")]
    [InlineData(
        "{{ \"%s-%d\"|format(\"a\", 1) }}{{ \"%05.2f|%-4s|%x|%r|%%\"|format(3.14159, 'ab', 255, 'q') }}{{ \"%s and %s\" % ('a', 'b') }}",
        "a-103.14|ab  |ff|'q'|%a and b")]
    [InlineData(
        "{% set z = 1 %}{% for i in [1] %}{% set z = 2 %}{{ z }}{% endfor %}{{ z }}",
        "21")]
    [InlineData(
        "{{ {'function': 1}|attr('function') }}|{{ x is sequence }}",
        "|True")]
    [InlineData(
        "{% macro outer() %}[{{ caller() }}]{% endmacro %}{% call outer() %}inner{% endcall %}{% raw %}{{ kept }}{% endraw %}",
        "[inner]{{ kept }}")]
    public void Renders_as_python_jinja2(string source, string expected) =>
        Assert.Equal(expected, ChatTemplate.Parse(source).Render(TemplateValue.Dict([])));

    [Fact]
    public void TinyLlama_template_loads_from_tokenizer_config_and_renders_zephyr_format()
    {
        var directory = SharedData.Require(TinyLlamaDirectory);
        var template = ChatTemplate.FromTokenizerConfig(directory);
        Assert.NotNull(template);
        ChatMessage[] messages =
        [
            new("system", "You are a friendly chatbot."),
            new("user", "Hello!"),
            new("assistant", "Hi there."),
            new("user", "How are you?"),
        ];

        var prompt = template.Render(messages, addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>");

        Assert.Equal(
            "<|system|>\nYou are a friendly chatbot.</s>\n<|user|>\nHello!</s>\n<|assistant|>\nHi there.</s>\n"
            + "<|user|>\nHow are you?</s>\n<|assistant|>\n",
            prompt);
        Assert.Equal(
            "<|user|>\nHello!</s>\n",
            template.Render([new("user", "Hello!")], addGenerationPrompt: false, bosToken: "<s>", eosToken: "</s>"));
    }

    [Fact]
    public void Model_without_template_has_none_and_uses_the_fallback()
    {
        var directory = SharedData.Require("models", "stories260K");
        Assert.Null(ChatTemplate.FromTokenizerConfig(directory));

        var prompt = ChatTemplate.Fallback.Render(
            [new("system", "Be brief."), new("user", "Tell a story.")], addGenerationPrompt: true, bosToken: null, eosToken: null);

        Assert.Equal("system: Be brief.\nuser: Tell a story.\nassistant: ", prompt);
        Assert.Equal("user: Hi\n", ChatTemplate.Fallback.Render([new("user", "Hi")], false, null, null));
    }

    [Fact]
    public void Template_list_in_tokenizer_config_takes_the_default_entry()
    {
        var directory = Directory.CreateTempSubdirectory("tandem-chat-");
        try
        {
            File.WriteAllText(
                Path.Combine(directory.FullName, "tokenizer_config.json"),
                """{"chat_template": [{"name": "tool_use", "template": "tools"}, {"name": "default", "template": "{{ messages[0].content }}"}]}""");
            var template = ChatTemplate.FromTokenizerConfig(directory.FullName);
            Assert.NotNull(template);
            Assert.Equal("hi", template.Render([new("user", "hi")], false, null, null));
            Assert.Null(ChatTemplate.FromTokenizerConfig(Path.Combine(directory.FullName, "missing")));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Extra_context_adds_variables_and_can_replace_messages()
    {
        var template = ChatTemplate.Parse(
            "{{ bos_token }}{% for m in messages %}{{ m.content[0].text if m.content is not string else m.content }}{% endfor %}"
            + "{% if tools %}|{{ tools | tojson }}{% endif %}");
        var extra = new Dictionary<string, object?>
        {
            ["tools"] = new object[] { new Dictionary<string, object?> { ["name"] = "f", ["n"] = 1.5 } },
            ["messages"] = new object[]
            {
                new Dictionary<string, object?> { ["role"] = "user", ["content"] = new object[] { new Dictionary<string, object?> { ["type"] = "text", ["text"] = "parts" } } },
            },
        };

        Assert.Equal("<s>parts|[{\"name\": \"f\", \"n\": 1.5}]", template.Render([], false, "<s>", null, extra));
    }

    [Fact]
    public void Strftime_now_reads_the_injected_clock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 7, 10, 12, 0, 0, TimeSpan.Zero));
        var template = ChatTemplate.Parse("{{ strftime_now('%d %B %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M %a %-d %b') }}", clock);

        Assert.Equal("10 July 2025|2025-07-10 12:00 Thu 10 Jul", template.Render(TemplateValue.Dict([])));
    }

    [Fact]
    public void Raise_exception_surfaces_its_message()
    {
        var template = ChatTemplate.Parse("{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with user') }}{% endif %}");

        var error = Assert.Throws<ChatTemplateException>(() => template.Render([new("system", "x")], false, null, null));
        Assert.Equal("Conversation must start with user", error.Message);
        Assert.Null(error.Line);
    }

    [Theory]
    [InlineData("{{ x.y }}", "'x' is undefined")]
    [InlineData("{{ f() }}", "'f' is undefined")]
    [InlineData("{{ 1 + 'a' }}", "unsupported operand type(s) for +: 'int' and 'str'")]
    [InlineData("{{ [1] | selectattr('a') | length }}", "object of type 'generator' has no len()")]
    public void Runtime_errors_are_template_exceptions(string source, string message) =>
        Assert.Equal(message, Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source).Render(TemplateValue.Dict([]))).Message);

    [Theory]
    [InlineData("{% if x %}\nno end", 2, 7)]
    [InlineData("ok\n  {{ (a + 1 }}", 2, 14)]
    [InlineData("{% for %}{% endfor %}", 1, 8)]
    [InlineData("a\nb {% frobnicate %}", 2, 6)]
    public void Syntax_errors_carry_line_and_column(string source, int line, int column)
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source));
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Fact]
    public void Parsed_template_renders_many_times_with_independent_state()
    {
        var template = ChatTemplate.Parse("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}");
        ChatMessage[] messages = [new("user", "a"), new("assistant", "b")];

        Assert.Equal("2", template.Render(messages, false, null, null));
        Assert.Equal("2", template.Render(messages, false, null, null));
    }
}
