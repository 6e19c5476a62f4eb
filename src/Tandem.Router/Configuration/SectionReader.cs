using Tandem.Contracts.Configuration;
using Tandem.Router.Routing;
using YamlDotNet.RepresentationModel;

namespace Tandem.Router.Configuration;

/// <summary>
/// Reads <c>context_servers</c> or <c>generation_servers</c>. Top-level worker settings are inherited unless the section
/// sets the same value; a different value is a problem (TensorRT-LLM refuses it too). When <c>num_instances</c> is
/// absent it is the number of <c>urls</c> (so the reference's two-URL example without it works); when present the two must agree.
/// </summary>
internal static class SectionReader
{
    private static readonly string[] UnsupportedPolicies = ["conversation"];

    public static ServerSectionConfig? Read(string section, YamlNode? node, IReadOnlyDictionary<string, YamlNode> inherited, ConfigProblems problems)
    {
        var isContext = section == ConfigKeys.ContextServers;
        if (YamlValues.IsNull(node))
        {
            problems.Add(section, isContext
                ? "missing; list the context servers under urls (or set num_instances: 0 to send every request whole to a generation server)"
                : "missing; list the generation servers under urls");
            return null;
        }

        if (node is not YamlMappingNode mapping)
        {
            problems.Add(section, $"expected a mapping of keys, got a {YamlValues.Describe(node!)}", node);
            return null;
        }

        var before = problems.Count;
        int? numInstances = null;
        YamlNode? numInstancesNode = null;
        List<Uri>? urls = null;
        var policy = new RoutingPolicyConfig();
        int tensorParallel = 1, pipelineParallel = 1;
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var workerNodes = new Dictionary<string, YamlNode>(inherited, StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = YamlValues.ToText(keyNode);
            var path = $"{section}.{key}";
            switch (key)
            {
                case "num_instances":
                    numInstancesNode = value;
                    numInstances = YamlValues.IsNull(value) ? null : YamlValues.Integer(value, path, isContext ? 0 : 1, 4096, problems);
                    break;
                case "urls":
                    urls = ReadUrls(path, value, problems);
                    break;
                case "router":
                    policy = ReadPolicy(path, value, problems) ?? policy;
                    break;
                case "tensor_parallel_size" or "pipeline_parallel_size":
                    var size = YamlValues.IsNull(value) ? 1 : SingleDevice(value, path, problems) ?? 1;
                    (tensorParallel, pipelineParallel) = key == "tensor_parallel_size" ? (size, pipelineParallel) : (tensorParallel, size);
                    break;
                default:
                    if (!ConfigKeys.Worker.Contains(key))
                    {
                        problems.Add(path, KeySuggestion.UnknownKey(key, ConfigKeys.Section.Concat(ConfigKeys.Worker), "not a section key (num_instances, urls, router, tensor_parallel_size, pipeline_parallel_size) nor a known worker setting"), keyNode);
                    }
                    else if (inherited.TryGetValue(key, out var top) && !YamlValues.SameValue(top, value))
                    {
                        problems.Add(path, $"is {YamlValues.ToText(value)} here but {YamlValues.ToText(top)} at the top level; a top-level setting applies to both sections, so set it in one place", value);
                    }
                    else
                    {
                        settings[key] = YamlValues.ToText(value);
                        workerNodes[key] = value;
                    }

                    break;
            }
        }

        foreach (var (key, value) in inherited)
        {
            settings.TryAdd(key, YamlValues.ToText(value));
        }

        var count = numInstances ?? urls?.Count ?? (numInstancesNode is null ? 1 : 0);
        if (urls is null && count > 0)
        {
            problems.Add($"{section}.urls", $"missing; list the {count} server address(es) as host:port");
        }
        else if (urls is not null && numInstances is { } declared && declared != urls.Count)
        {
            problems.Add($"{section}.num_instances", $"is {declared} but urls lists {urls.Count} server(s); the two must match", numInstancesNode);
        }
        else if (!isContext && count == 0)
        {
            problems.Add($"{section}.urls", "at least one generation server is required", node);
        }

        return problems.Count > before ? null : new ServerSectionConfig
        {
            NumInstances = count,
            Urls = urls ?? [],
            Router = WithSectionArgs(policy, workerNodes),
            TensorParallelSize = tensorParallel,
            PipelineParallelSize = pipelineParallel,
            WorkerSettings = settings,
        };
    }

    private static List<Uri>? ReadUrls(string path, YamlNode node, ConfigProblems problems)
    {
        if (YamlValues.IsNull(node))
        {
            return [];
        }

        if (node is not YamlSequenceNode list)
        {
            problems.Add(path, $"expected a list of host:port addresses, got a {YamlValues.Describe(node)}", node);
            return null;
        }

        var urls = new List<Uri>();
        var seen = new Dictionary<Uri, int>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var itemPath = $"{path}[{i}]";
            if (YamlValues.Text(list.Children[i], itemPath, problems) is not { } text)
            {
                continue;
            }

            if (ServerUrl.Parse(text, out var error) is not { } url)
            {
                problems.Add(itemPath, error!, list.Children[i]);
            }
            else if (seen.TryGetValue(url, out var first))
            {
                problems.Add(itemPath, $"'{text}' is listed twice (also {path}[{first}])", list.Children[i]);
            }
            else
            {
                seen[url] = i;
                urls.Add(url);
            }
        }

        return urls;
    }

    private static RoutingPolicyConfig? ReadPolicy(string path, YamlNode node, ConfigProblems problems)
    {
        if (YamlValues.IsNull(node))
        {
            return null;
        }

        if (node is not YamlMappingNode mapping)
        {
            problems.Add(path, $"expected a mapping like {{type: round_robin}}, got a {YamlValues.Describe(node)}", node);
            return null;
        }

        var policy = new RoutingPolicyConfig();
        YamlNode? useTokensNode = null;
        var cacheKeys = new List<(string Path, YamlNode Node)>();
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = YamlValues.ToText(keyNode);
            var keyPath = $"{path}.{key}";
            if (key == "type")
            {
                if (YamlValues.Text(value, keyPath, problems) is not { } type)
                {
                    continue;
                }

                var names = string.Join(", ", RoutingPolicies.Names);
                if (RoutingPolicies.Names.Contains(type))
                {
                    policy = policy with { Type = type };
                }
                else if (UnsupportedPolicies.Contains(type))
                {
                    problems.Add(keyPath, $"policy '{type}' is not supported by Tandem; use one of {names}", value);
                }
                else
                {
                    problems.Add(keyPath, $"unknown policy '{type}'; use one of {names}", value);
                }
            }
            else if (key == "use_tokens")
            {
                useTokensNode = value;
                policy = policy with { UseTokens = YamlValues.Boolean(value, keyPath, problems) ?? false };
            }
            else if (key == "tokens_per_block")
            {
                cacheKeys.Add((keyPath, keyNode));
                policy = policy with { TokensPerBlock = YamlValues.Integer(value, keyPath, 1, 4096, problems) };
            }
            else if (key == "max_batch_size")
            {
                cacheKeys.Add((keyPath, keyNode));
                policy = policy with { MaxBatchSize = YamlValues.Integer(value, keyPath, 1, 1 << 20, problems) };
            }
            else
            {
                problems.Add(keyPath, KeySuggestion.UnknownKey(key, ConfigKeys.RouterBlock), keyNode);
            }
        }

        if (policy.UseTokens && !RoutingPolicies.TakingTokens.Contains(policy.Type))
        {
            problems.Add($"{path}.use_tokens", $"applies to the load_balancing policy only, not {policy.Type}", useTokensNode);
        }

        if (policy.Type != Routing.KvCacheAwarePolicy.PolicyName)
        {
            foreach (var (keyPath, keyNode) in cacheKeys)
            {
                problems.Add(keyPath, $"applies to the kv_cache_aware policy only, not {policy.Type}", keyNode);
            }
        }

        return policy;
    }

    /// <summary>
    /// TensorRT-LLM copies a section's <c>max_batch_size</c> and <c>kv_cache_config.tokens_per_block</c> into its router's
    /// arguments when the router block does not set them: a KV-aware router then hashes in the workers' block size.
    /// </summary>
    private static RoutingPolicyConfig WithSectionArgs(RoutingPolicyConfig policy, Dictionary<string, YamlNode> worker)
    {
        if (policy.Type != Routing.KvCacheAwarePolicy.PolicyName)
        {
            return policy;
        }

        static int? Number(YamlNode? node) =>
            node is YamlScalarNode { Value: { } text } && int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;

        var blockSize = worker.TryGetValue("kv_cache_config", out var kv) && kv is YamlMappingNode kvMapping
            ? kvMapping.Children.Where(c => YamlValues.ToText(c.Key) == "tokens_per_block").Select(c => Number(c.Value)).FirstOrDefault()
            : null;
        return policy with
        {
            TokensPerBlock = policy.TokensPerBlock ?? blockSize,
            MaxBatchSize = policy.MaxBatchSize ?? Number(worker.GetValueOrDefault("max_batch_size")),
        };
    }

    private static int? SingleDevice(YamlNode node, string path, ConfigProblems problems)
    {
        var value = YamlValues.Integer(node, path, 1, 4096, problems);
        if (value > 1)
        {
            problems.Add(path, $"must be 1: a Tandem worker runs on one machine's CPU and does not split the model, got {value}", node);
            return null;
        }

        return value;
    }
}
