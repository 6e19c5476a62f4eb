using Tandem.Contracts.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Tandem.Router.Configuration;

/// <summary>
/// Reads TensorRT-LLM's disaggregated YAML (<c>trtllm-serve disaggregated -c</c>) into a <see cref="RouterConfig"/>,
/// once, reporting every problem at once with its key path. Unknown keys are problems (with a suggestion for typos).
/// A URL in both sections is a mixed server: allowed when both sections give it the same worker settings.
/// </summary>
public static class RouterConfigLoader
{
    public static ConfigResult LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return Load(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ConfigResult(null, [new ConfigProblem("--config", $"cannot read '{path}': {e.Message}")]);
        }
    }

    public static ConfigResult Load(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var problems = new ConfigProblems();
        var root = ReadRoot(yaml, problems);
        if (root is null)
        {
            return new ConfigResult(null, problems.All);
        }

        var config = new RouterConfig { ContextServers = new(), GenerationServers = new() };
        var inherited = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        YamlNode? context = null, generation = null, conditionalNode = null;
        foreach (var (keyNode, value) in root.Children)
        {
            var key = YamlValues.ToText(keyNode);
            switch (key)
            {
                case "hostname":
                    config = YamlValues.IsNull(value) ? config : config with { Hostname = YamlValues.Text(value, key, problems) ?? config.Hostname };
                    break;
                case "port":
                    config = YamlValues.IsNull(value) ? config : config with { Port = YamlValues.Integer(value, key, 0, 65535, problems) ?? config.Port };
                    break;
                case "max_retries":
                    config = YamlValues.IsNull(value) ? config : config with { MaxRetries = YamlValues.Integer(value, key, 0, 100, problems) ?? config.MaxRetries };
                    break;
                case "perf_metrics_max_requests":
                    config = YamlValues.IsNull(value) ? config : config with { PerfMetricsMaxRequests = YamlValues.Integer(value, key, 0, int.MaxValue, problems) ?? 0 };
                    break;
                case "conditional_disagg_config":
                    conditionalNode = value;
                    config = config with { MaxLocalPrefillLength = ReadConditional(value, key, problems) };
                    break;
                case ConfigKeys.ContextServers:
                    context = value;
                    break;
                case ConfigKeys.GenerationServers:
                    generation = value;
                    break;
                default:
                    if (ConfigKeys.Worker.Contains(key))
                    {
                        if (!YamlValues.IsNull(value))
                        {
                            inherited[key] = value;
                        }
                    }
                    else if (ConfigKeys.Unsupported.TryGetValue(key, out var why))
                    {
                        problems.Add(key, why, keyNode);
                    }
                    else
                    {
                        problems.Add(key, KeySuggestion.UnknownKey(key, ConfigKeys.Router.Concat(ConfigKeys.Worker), "not a router setting (hostname, port, max_retries, perf_metrics_max_requests, conditional_disagg_config, context_servers, generation_servers) nor a known worker setting"), keyNode);
                    }

                    break;
            }
        }

        foreach (var key in new[] { "model", "backend" })
        {
            if (inherited.TryGetValue(key, out var node) && node is not YamlScalarNode)
            {
                problems.Add(key, $"expected a single value, got a {YamlValues.Describe(node)}", node);
            }
        }

        var contextServers = SectionReader.Read(ConfigKeys.ContextServers, context, inherited, problems);
        var generationServers = SectionReader.Read(ConfigKeys.GenerationServers, generation, inherited, problems);
        if (contextServers is null || generationServers is null)
        {
            return new ConfigResult(null, problems.All);
        }

        CheckMixedServers(contextServers, generationServers, problems);
        if (config.MaxLocalPrefillLength is not null && generationServers.Router.Type != Routing.KvCacheAwarePolicy.PolicyName)
        {
            problems.Add("conditional_disagg_config", $"needs generation_servers.router.type: kv_cache_aware (it finds which generation server holds a prompt), not {generationServers.Router.Type}", conditionalNode);
        }

        if (problems.Count > 0)
        {
            return new ConfigResult(null, problems.All);
        }

        return new ConfigResult(
            config with
            {
                Model = Unquoted(generationServers.WorkerSettings.GetValueOrDefault("model")),
                Backend = Unquoted(generationServers.WorkerSettings.GetValueOrDefault("backend")),
                ContextServers = contextServers,
                GenerationServers = generationServers,
            },
            []);
    }

    /// <summary><c>conditional_disagg_config: {max_local_prefill_length: N}</c> (N ≥ 0); null when absent or empty.</summary>
    private static int? ReadConditional(YamlNode node, string path, ConfigProblems problems)
    {
        if (YamlValues.IsNull(node))
        {
            return null;
        }

        if (node is not YamlMappingNode mapping)
        {
            problems.Add(path, $"expected a mapping like {{max_local_prefill_length: 100}}, got a {YamlValues.Describe(node)}", node);
            return null;
        }

        int? length = null;
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = YamlValues.ToText(keyNode);
            if (key == "max_local_prefill_length")
            {
                length = YamlValues.Integer(value, $"{path}.{key}", 0, int.MaxValue, problems);
            }
            else
            {
                problems.Add($"{path}.{key}", KeySuggestion.UnknownKey(key, ["max_local_prefill_length"]), keyNode);
            }
        }

        return length;
    }

    private static YamlMappingNode? ReadRoot(string yaml, ConfigProblems problems)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            problems.Add("--config", $"malformed YAML: {(e.InnerException ?? e).Message} (line {e.Start.Line}, column {e.Start.Column})");
            return null;
        }

        if (stream.Documents.Count == 0 || YamlValues.IsNull(stream.Documents[0].RootNode))
        {
            problems.Add("--config", "the file is empty; it needs context_servers and generation_servers");
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            problems.Add("--config", "expected one YAML document, found several", stream.Documents[1].RootNode);
            return null;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            problems.Add("--config", $"expected a mapping of settings (key: value lines), got a {YamlValues.Describe(stream.Documents[0].RootNode)}", stream.Documents[0].RootNode);
            return null;
        }

        return root;
    }

    private static void CheckMixedServers(ServerSectionConfig context, ServerSectionConfig generation, ConfigProblems problems)
    {
        for (var i = 0; i < generation.Urls.Count; i++)
        {
            var j = context.Urls.ToList().IndexOf(generation.Urls[i]);
            if (j < 0)
            {
                continue;
            }

            var differing = context.WorkerSettings.Keys.Union(generation.WorkerSettings.Keys)
                .Where(k => context.WorkerSettings.GetValueOrDefault(k) != generation.WorkerSettings.GetValueOrDefault(k))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (differing.Count > 0)
            {
                problems.Add(
                    $"{ConfigKeys.GenerationServers}.urls[{i}]",
                    $"{generation.Urls[i].Authority} is also {ConfigKeys.ContextServers}.urls[{j}] (a mixed server, one process), so both sections must give it the same worker settings; they differ in {string.Join(", ", differing)}");
            }
        }
    }

    private static string? Unquoted(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
