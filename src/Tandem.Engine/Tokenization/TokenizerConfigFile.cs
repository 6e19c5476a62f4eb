using System.Text.Json;

namespace Tandem.Engine.Tokenization;

/// <summary>
/// The settings of <c>tokenizer_config.json</c>, completed by <c>special_tokens_map.json</c>:
/// whether BOS/EOS are added, the special token strings (a string or a <c>{"content": ...}</c>
/// object each), and <c>added_tokens_decoder</c>. Both files are optional.
/// </summary>
internal sealed record TokenizerConfigFile(
    bool? AddBos,
    bool? AddEos,
    string? BosToken,
    string? EosToken,
    string? UnkToken,
    IReadOnlyList<AddedToken> AddedTokens)
{
    public const string ConfigFileName = "tokenizer_config.json";
    public const string SpecialTokensMapFileName = "special_tokens_map.json";

    /// <summary>No configuration: the tokenizer definition's own settings apply.</summary>
    public static TokenizerConfigFile None { get; } = new(null, null, null, null, null, []);

    public static TokenizerConfigFile Read(string directory)
    {
        using var config = Parse(Path.Combine(directory, ConfigFileName));
        using var map = Parse(Path.Combine(directory, SpecialTokensMapFileName));
        var configRoot = config?.RootElement;
        var mapRoot = map?.RootElement;
        var configPath = Path.Combine(directory, ConfigFileName);

        string? Token(string name) =>
            TokenContent(configRoot, name, configPath) ?? TokenContent(mapRoot, name, Path.Combine(directory, SpecialTokensMapFileName));

        return new TokenizerConfigFile(
            OptionalBool(configRoot, "add_bos_token", configPath),
            OptionalBool(configRoot, "add_eos_token", configPath),
            Token("bos_token"),
            Token("eos_token"),
            Token("unk_token"),
            ReadAddedTokensDecoder(configRoot, configPath));
    }

    private static JsonDocument? Parse(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new TokenizerLoadException($"{path}: expected a JSON object at the top level");
            }

            return document;
        }
        catch (JsonException e)
        {
            throw new TokenizerLoadException($"{path}: invalid JSON ({e.Message})", e);
        }
    }

    private static string? TokenContent(JsonElement? root, string name, string path)
    {
        if (root is not { } element || !element.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object when value.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String
                => content.GetString(),
            _ => throw new TokenizerLoadException($"{path}: \"{name}\" must be a string, null or an object with a string \"content\""),
        };
    }

    private static bool? OptionalBool(JsonElement? root, string name, string path)
    {
        if (root is not { } element || !element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new TokenizerLoadException($"{path}: \"{name}\" must be true or false"),
        };
    }

    private static List<AddedToken> ReadAddedTokensDecoder(JsonElement? root, string path)
    {
        var tokens = new List<AddedToken>();
        if (root is not { } element || !element.TryGetProperty("added_tokens_decoder", out var decoder) || decoder.ValueKind != JsonValueKind.Object)
        {
            return tokens;
        }

        foreach (var entry in decoder.EnumerateObject())
        {
            if (!int.TryParse(entry.Name, out var id) || id < 0
                || !entry.Value.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
            {
                throw new TokenizerLoadException($"{path}: added_tokens_decoder entry \"{entry.Name}\" needs a non-negative id and a string \"content\"");
            }

            tokens.Add(new AddedToken(
                id,
                content.GetString()!,
                entry.Value.TryGetProperty("special", out var special) && special.ValueKind == JsonValueKind.True,
                entry.Value.TryGetProperty("lstrip", out var lstrip) && lstrip.ValueKind == JsonValueKind.True,
                entry.Value.TryGetProperty("rstrip", out var rstrip) && rstrip.ValueKind == JsonValueKind.True));
        }

        return tokens;
    }
}
