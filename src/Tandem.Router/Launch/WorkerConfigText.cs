namespace Tandem.Router.Launch;

/// <summary>
/// Splits a section's worker settings (key → YAML text, as <see cref="Configuration.ServerSectionConfig.WorkerSettings"/>
/// keeps them) into what <c>tandem serve</c> takes: the model argument, a few command-line flags for keys its YAML
/// file does not hold, and the YAML file (<c>--config</c>) for everything else, which the serve loader then checks.
/// </summary>
public static class WorkerConfigText
{
    /// <summary>Worker keys that are <c>tandem serve</c> flags rather than keys of its <c>--config</c> file.</summary>
    public static IReadOnlyDictionary<string, string> FlagKeys { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["tokenizer"] = "--tokenizer",
        ["chat_template"] = "--chat_template",
        ["served_model_name"] = "--served_model_name",
        ["free_gpu_memory_fraction"] = "--kv_cache_free_gpu_memory_fraction",
    };

    /// <summary>The model (null when the section names none), the flags (name, value) and the YAML file's text.</summary>
    public static (string? Model, IReadOnlyList<KeyValuePair<string, string>> Flags, string Yaml) Split(IReadOnlyDictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        string? model = null;
        var flags = new List<KeyValuePair<string, string>>();
        var yaml = new System.Text.StringBuilder();
        foreach (var (key, text) in settings.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var value = text.Trim();
            if (value.Length == 0)
            {
                continue;
            }

            if (key == "model")
            {
                model = value;
            }
            else if (FlagKeys.TryGetValue(key, out var flag))
            {
                flags.Add(new(flag, value));
            }
            else
            {
                yaml.Append(key).Append(": ").Append(YamlValue(value)).Append('\n');
            }
        }

        return (model, flags, yaml.ToString());
    }

    /// <summary>A collection stays in flow style as the loader wrote it; a single value is quoted so that any text survives.</summary>
    private static string YamlValue(string value) =>
        value[0] is '{' or '[' ? value : "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
