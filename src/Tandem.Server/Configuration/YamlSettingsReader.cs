using Tandem.Contracts.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Tandem.Server.Configuration;

/// <summary>
/// Reads TensorRT-LLM's LLM-API YAML (the file of <c>--config</c> / <c>--extra_llm_api_options</c>) onto a draft.
/// Known keys are parsed and checked, GPU-only keys in <see cref="IgnoredSettings"/> are named in warnings, and
/// every other key is a problem naming its full path. A null value (<c>key:</c>, <c>~</c>) keeps the default, as in
/// TensorRT-LLM.
/// </summary>
internal static class YamlSettingsReader
{
    private delegate void KeyReader(SettingsDraft draft, string path, YamlNode node);

    private static readonly Dictionary<string, KeyReader> KvCacheKeys = new(StringComparer.Ordinal)
    {
        ["tokens_per_block"] = Scalar(SettingValues.Integer(1, 4096), (s, v) => s with { TokensPerBlock = (int)v }),
        ["max_tokens"] = Scalar(SettingValues.Integer(1), (s, v) => s with { KvCacheMaxTokens = v }),
        ["free_gpu_memory_fraction"] = Scalar(SettingValues.Fraction, (s, v) => s with { KvCacheFreeMemoryFraction = v }),
        ["free_memory_fraction"] = Scalar(SettingValues.Fraction, (s, v) => s with { KvCacheFreeMemoryFraction = v }),
        ["enable_block_reuse"] = Scalar(SettingValues.Boolean, (s, v) => s with { KvCacheEnableBlockReuse = v }),
        ["event_buffer_max_size"] = Scalar(SettingValues.Integer(0, 1 << 24), (s, v) => s with { KvCacheEventBufferMaxSize = (int)v }),
        ["dtype"] = KvCacheDType,
    };

    private static readonly Dictionary<string, KeyReader> CacheTransceiverKeys = new(StringComparer.Ordinal)
    {
        ["backend"] = Scalar(SettingValues.TransceiverBackend, (s, v) => s with { CacheTransceiver = s.CacheTransceiver with { Backend = v } }),
        ["host"] = Scalar(SettingValues.Text, (s, v) => s with { CacheTransceiver = s.CacheTransceiver with { Host = v } }),
        ["port"] = Scalar(SettingValues.Integer(0, 65535), (s, v) => s with { CacheTransceiver = s.CacheTransceiver with { Port = (int)v } }),
        ["max_tokens_in_buffer"] = Scalar(SettingValues.Integer(1), (s, v) => s with { CacheTransceiver = s.CacheTransceiver with { MaxTokensInBuffer = v } }),
        ["max_num_tokens"] = Renamed("max_tokens_in_buffer", Scalar(SettingValues.Integer(1), (s, v) => s with { CacheTransceiver = s.CacheTransceiver with { MaxTokensInBuffer = v } })),
        ["kv_transfer_timeout_ms"] = Scalar(SettingValues.Integer(1, int.MaxValue), (s, v) => s with { CacheTransceiver = s.CacheTransceiver with { KvTransferTimeoutMs = (int)v } }),
        ["kv_transfer_failure_policy"] = Scalar(SettingValues.FailurePolicy, (s, v) => s with { CacheTransceiver = s.CacheTransceiver with { FailurePolicy = v } }),
    };

    private static readonly Dictionary<string, KeyReader> RootKeys = new(StringComparer.Ordinal)
    {
        ["backend"] = Scalar(SettingValues.Backend, (s, v) => s with { Backend = v }),
        ["max_batch_size"] = Scalar(SettingValues.Integer(1, int.MaxValue), (s, v) => s with { MaxBatchSize = (int)v }),
        ["max_num_tokens"] = Scalar(SettingValues.Integer(1, int.MaxValue), (s, v) => s with { MaxNumTokens = (int)v }),
        ["max_seq_len"] = Scalar(SettingValues.Integer(2, int.MaxValue), (s, v) => s with { MaxSeqLen = (int)v }),
        ["max_beam_width"] = Scalar(SettingValues.One("beam search"), (s, _) => s),
        ["tensor_parallel_size"] = Scalar(SettingValues.One("tensor parallelism"), (s, _) => s),
        ["pipeline_parallel_size"] = Scalar(SettingValues.One("pipeline parallelism"), (s, _) => s),
        ["context_parallel_size"] = Scalar(SettingValues.One("context parallelism"), (s, _) => s),
        ["kv_cache_memory"] = Scalar(SettingValues.Size, (s, v) => s with { KvCacheMemoryBytes = v }),
        ["threads"] = Scalar(SettingValues.Integer(1, 1024), (s, v) => s with { Threads = (int)v }),
        ["quantization"] = Scalar(SettingValues.Quantization, (s, v) => s with { Quantization = v }),
        ["max_waiting_requests"] = Scalar(SettingValues.Integer(0, int.MaxValue), (s, v) => s with { MaxWaitingRequests = (int)v }),
        ["return_perf_metrics"] = Scalar(SettingValues.Boolean, (s, v) => s with { ReturnPerfMetrics = v }),
        ["perf_metrics_max_requests"] = Scalar(SettingValues.Integer(0, 1_000_000), (s, v) => s with { PerfMetricsMaxRequests = (int)v }),
        ["kv_cache_config"] = Section(KvCacheKeys, IgnoredSettings.KvCacheConfig),
        ["cache_transceiver_config"] = Section(CacheTransceiverKeys, IgnoredSettings.CacheTransceiverConfig),
    };

    public static void Read(string text, SettingsDraft draft)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            var reason = (e.InnerException ?? e).Message;
            draft.Problem("--config", $"malformed YAML: {reason}", (int)e.Start.Line, (int)e.Start.Column);
            return;
        }

        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            draft.Problem("--config", "expected one YAML document, found several", (int)second.Start.Line, (int)second.Start.Column);
            return;
        }

        if (stream.Documents.Count == 0 || IsNull(stream.Documents[0].RootNode))
        {
            return;
        }

        var root = stream.Documents[0].RootNode;
        if (root is not YamlMappingNode mapping)
        {
            draft.Problem("--config", $"expected a mapping of settings (key: value lines), got a {Describe(root)}", (int)root.Start.Line, (int)root.Start.Column);
            return;
        }

        ReadMapping(draft, "", mapping, RootKeys, IgnoredSettings.TopLevel);
    }

    private static void ReadMapping(SettingsDraft draft, string prefix, YamlMappingNode mapping, Dictionary<string, KeyReader> keys, IReadOnlySet<string> ignored)
    {
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key })
            {
                draft.Problem(prefix.TrimEnd('.'), $"expected a plain key, got a {Describe(keyNode)}", (int)keyNode.Start.Line, (int)keyNode.Start.Column);
                continue;
            }

            var path = prefix + key;
            if (keys.TryGetValue(key, out var reader))
            {
                reader(draft, path, value);
            }
            else if (ignored.Contains(key))
            {
                draft.Warnings.Add($"{path}: ignored (a TensorRT-LLM GPU setting with no effect on Tandem's CPU engine)");
            }
            else
            {
                draft.Problem(path, KeySuggestion.UnknownKey(key, keys.Keys), (int)keyNode.Start.Line, (int)keyNode.Start.Column);
            }
        }
    }

    /// <summary><c>kv_cache_config.dtype</c>: auto, float32 or bfloat16; a GPU-only format is named in a warning and the cache stays float32.</summary>
    private static void KvCacheDType(SettingsDraft draft, string path, YamlNode node)
    {
        if (node is YamlScalarNode { Value: { } text } && SettingValues.IsGpuKvCacheDType(text))
        {
            draft.Warnings.Add($"{path}: {text.Trim()} is a GPU cache format Tandem's CPU engine does not store; the KV cache stays float32 (bfloat16 halves it)");
            return;
        }

        Scalar(SettingValues.KvCacheDType, (s, v) => s with { KvCacheDType = v })(draft, path, node);
    }

    private static KeyReader Scalar<T>(Func<string, Parsed<T>> parse, Func<ServerSettings, T, ServerSettings> apply) => (draft, path, node) =>
    {
        if (IsNull(node))
        {
            return;
        }

        if (node is YamlScalarNode { Value: { } text })
        {
            draft.Apply(path, text, parse, apply, (int)node.Start.Line, (int)node.Start.Column);
        }
        else
        {
            draft.Problem(path, $"expected a single value, got a {Describe(node)}", (int)node.Start.Line, (int)node.Start.Column);
        }
    };

    private static KeyReader Section(Dictionary<string, KeyReader> keys, IReadOnlySet<string> ignored) => (draft, path, node) =>
    {
        if (IsNull(node))
        {
            return;
        }

        if (node is YamlMappingNode mapping)
        {
            ReadMapping(draft, path + ".", mapping, keys, ignored);
        }
        else
        {
            draft.Problem(path, $"expected a mapping of keys, got a {Describe(node)}", (int)node.Start.Line, (int)node.Start.Column);
        }
    };

    private static KeyReader Renamed(string currentName, KeyReader reader) => (draft, path, node) =>
    {
        draft.Warnings.Add($"{path}: an older spelling of {currentName}, read as it");
        reader(draft, path, node);
    };

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "mapping",
        YamlSequenceNode => "list",
        YamlScalarNode scalar => $"value '{scalar.Value}'",
        _ => node.NodeType.ToString(),
    };
}
