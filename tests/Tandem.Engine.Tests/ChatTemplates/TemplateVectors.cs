using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Tandem.Engine.ChatTemplates;

namespace Tandem.Engine.Tests.ChatTemplates;

/// <summary>
/// Loads the vectors of <c>shared/chat-templates</c> and checks one against the renderer. The expected value is
/// Python Jinja2's: <c>expected</c> where <c>jinja2_agrees</c>, else <c>jinja2_output</c> or <c>jinja2_error</c>.
/// </summary>
internal static class TemplateVectors
{
    private const string MissingName = "(shared data missing)";

    private static readonly Dictionary<string, Lazy<Dictionary<string, JsonElement>>> Files = new()
    {
        ["chat-template-vectors.json"] = new(() => Load("chat-template-vectors.json")),
        ["jinja-feature-vectors.json"] = new(() => Load("jinja-feature-vectors.json")),
    };

    public static TheoryData<string> Names(string file)
    {
        var data = new TheoryData<string>();
        if (SharedData.Directory is null || !File.Exists(Path.Combine(SharedData.Directory, "chat-templates", file)))
        {
            data.Add(MissingName);
            return data;
        }

        foreach (var name in Files[file].Value.Keys)
        {
            data.Add(name);
        }

        return data;
    }

    public static void Check(string file, string name)
    {
        SharedData.Require("chat-templates", file);
        Assert.NotEqual(MissingName, name);
        var vector = Files[file].Value[name];
        var options = vector.TryGetProperty("options", out var o) ? o : default;
        var trimBlocks = options.ValueKind != JsonValueKind.Object || options.GetProperty("trim_blocks").GetBoolean();
        var lstripBlocks = options.ValueKind != JsonValueKind.Object || options.GetProperty("lstrip_blocks").GetBoolean();
        var clock = new FakeTimeProvider(vector.TryGetProperty("now", out var now)
            ? DateTimeOffset.Parse(now.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            : new DateTimeOffset(2025, 7, 10, 12, 0, 0, TimeSpan.Zero));

        var agrees = vector.GetProperty("jinja2_agrees").GetBoolean();
        var expected = agrees ? vector.GetProperty("expected") : vector.TryGetProperty("jinja2_output", out var output) ? output : default;
        var source = vector.GetProperty("template").GetString()!;
        var context = TemplateValue.FromJson(vector.GetProperty("context"));

        if (expected.ValueKind != JsonValueKind.String)
        {
            var error = agrees ? vector.GetProperty("expected_error").ToString() : vector.GetProperty("jinja2_error").GetString();
            var ex = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source, trimBlocks, lstripBlocks, clock).Render(context));
            Assert.False(string.IsNullOrEmpty(ex.Message), $"expected an error like {error}");
            return;
        }

        var template = ChatTemplate.Parse(source, trimBlocks, lstripBlocks, clock);
        Assert.Equal(expected.GetString(), template.Render(context));
    }

    private static Dictionary<string, JsonElement> Load(string file)
    {
        var path = Path.Combine(SharedData.Directory!, "chat-templates", file);
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var vectors = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var vector in document.RootElement.EnumerateArray())
        {
            vectors[vector.GetProperty("name").GetString()!] = vector.Clone();
        }

        return vectors;
    }
}
