namespace Tandem.Server.Configuration;

/// <summary>
/// Builds <see cref="ServerSettings"/> once, at startup, reporting every problem at once.
/// Precedence, lowest first: the defaults in <see cref="ServerSettings"/>, the YAML file, the command-line flags.
/// A memory choice made at a higher level replaces one made below it: a <c>--kv_cache_free_gpu_memory_fraction</c>
/// flag drops a <c>kv_cache_memory</c> size from the YAML file; within one level a byte size wins over a fraction.
/// The legacy transport switches <c>TRTLLM_USE_UCX_KVCACHE</c>, <c>TRTLLM_USE_MPI_KVCACHE</c> and
/// <c>TRTLLM_USE_NIXL_KVCACHE</c> of TensorRT-LLM's reference commands are accepted and mean the DEFAULT backend.
/// </summary>
public static class ServerSettingsLoader
{
    public static IReadOnlyList<string> TransferEnvironmentVariables { get; } =
        ["TRTLLM_USE_UCX_KVCACHE", "TRTLLM_USE_MPI_KVCACHE", "TRTLLM_USE_NIXL_KVCACHE"];

    /// <summary>Reads the file named by <see cref="ServeFlags.Config"/>, if any, then loads as <see cref="Load"/>.</summary>
    public static SettingsResult LoadFromFile(ServeFlags flags, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(flags);
        if (flags.Config is not { } path)
        {
            return Load(flags, null, environment);
        }

        try
        {
            return Load(flags, File.ReadAllText(path), environment);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var unread = Load(flags, null, environment);
            return unread with { Settings = null, Problems = [new SettingsProblem("--config", $"cannot read '{path}': {e.Message}"), .. unread.Problems] };
        }
    }

    /// <summary>The settings for these flags, this YAML text (null when there is no file) and this environment.</summary>
    public static SettingsResult Load(ServeFlags flags, string? configText, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentNullException.ThrowIfNull(environment);
        var draft = new SettingsDraft(new ServerSettings { Model = flags.Model ?? "" });
        if (configText is not null)
        {
            YamlSettingsReader.Read(configText, draft);
        }

        ApplyFlags(flags, draft);
        ReadEnvironment(environment, draft);
        Check(draft);
        return new SettingsResult(draft.Problems.Count == 0 ? draft.Settings : null, draft.Problems, draft.Warnings);
    }

    private static void ApplyFlags(ServeFlags flags, SettingsDraft draft)
    {
        if (string.IsNullOrWhiteSpace(flags.Model))
        {
            draft.Problem("MODEL", "a model directory or Hugging Face repo id (org/name) is required");
        }

        Flag(draft, "--host", flags.Host, SettingValues.Text, (s, v) => s with { Host = v });
        Flag(draft, "--port", flags.Port, SettingValues.Integer(0, 65535), (s, v) => s with { Port = (int)v });
        Flag(draft, "--backend", flags.Backend, SettingValues.Backend, (s, v) => s with { Backend = v });
        Flag(draft, "--tokenizer", flags.Tokenizer, SettingValues.Text, (s, v) => s with { Tokenizer = v });
        Flag(draft, "--chat_template", flags.ChatTemplate, SettingValues.Text, (s, v) => s with { ChatTemplate = v });
        Flag(draft, "--max_batch_size", flags.MaxBatchSize, SettingValues.Integer(1, int.MaxValue), (s, v) => s with { MaxBatchSize = (int)v });
        Flag(draft, "--max_num_tokens", flags.MaxNumTokens, SettingValues.Integer(1, int.MaxValue), (s, v) => s with { MaxNumTokens = (int)v });
        Flag(draft, "--max_seq_len", flags.MaxSeqLen, SettingValues.Integer(2, int.MaxValue), (s, v) => s with { MaxSeqLen = (int)v });
        Flag(draft, "--kv_cache_memory", flags.KvCacheMemory, SettingValues.Size, (s, v) => s with { KvCacheMemoryBytes = v });
        if (flags.KvCacheMemory is null)
        {
            Flag(draft, "--kv_cache_free_gpu_memory_fraction", flags.KvCacheFreeGpuMemoryFraction, SettingValues.Fraction, (s, v) => s with { KvCacheFreeMemoryFraction = v, KvCacheMemoryBytes = null });
        }
        else
        {
            Flag(draft, "--kv_cache_free_gpu_memory_fraction", flags.KvCacheFreeGpuMemoryFraction, SettingValues.Fraction, (s, v) => s with { KvCacheFreeMemoryFraction = v });
        }

        Flag(draft, "--kv_cache_dtype", flags.KvCacheDType, SettingValues.KvCacheDType, (s, v) => s with { KvCacheDType = v });
        Flag(draft, "--threads", flags.Threads, SettingValues.Integer(1, 1024), (s, v) => s with { Threads = (int)v });
        Flag(draft, "--quantization", flags.Quantization, SettingValues.Quantization, (s, v) => s with { Quantization = v });
        Flag(draft, "--server_role", flags.ServerRole, SettingValues.Role, (s, v) => s with { ServerRole = v });
        Flag(draft, "--api_key", flags.ApiKey, SettingValues.Text, (s, v) => s with { ApiKey = v });
        Flag(draft, "--log_level", flags.LogLevel, SettingValues.Level, (s, v) => s with { LogLevel = v });
        Flag(draft, "--served_model_name", flags.ServedModelName, SettingValues.Text, (s, v) => s with { ServedModelName = v });
    }

    private static void Flag<T>(SettingsDraft draft, string name, string? text, Func<string, Parsed<T>> parse, Func<ServerSettings, T, ServerSettings> apply)
    {
        if (text is not null)
        {
            draft.Apply(name, text, parse, apply);
        }
    }

    private static void ReadEnvironment(Func<string, string?> environment, SettingsDraft draft)
    {
        if (environment("TRTLLM_DISAGG_BENCHMARK_GEN_ONLY") == "1")
        {
            draft.Settings = draft.Settings with { BenchmarkGenerationOnly = true };
            draft.Warnings.Add("TRTLLM_DISAGG_BENCHMARK_GEN_ONLY=1: generation-only requests without a transfer state start from an uninitialized KV cache (decode benchmarks only; their answers are meaningless)");
        }

        foreach (var name in TransferEnvironmentVariables)
        {
            if (!string.IsNullOrEmpty(environment(name)))
            {
                var backend = draft.Settings.CacheTransceiver.Backend == CacheTransceiverBackend.Tcp ? "TCP" : "DEFAULT (TCP)";
                draft.Warnings.Add($"{name} is set: accepted as TensorRT-LLM's switch for KV transfer; Tandem uses its {backend} transfer backend");
            }
        }
    }

    private static void Check(SettingsDraft draft)
    {
        var settings = draft.Settings;
        if (settings.ReturnPerfMetrics != (settings.PerfMetricsMaxRequests > 0))
        {
            draft.Warnings.Add(settings.ReturnPerfMetrics
                ? "return_perf_metrics is true but perf_metrics_max_requests is 0: GET /perf_metrics keeps no request; set perf_metrics_max_requests"
                : "perf_metrics_max_requests is set but return_perf_metrics is false: GET /perf_metrics keeps no request; set return_perf_metrics: true");
        }

        if (settings.KvCacheEventBufferMaxSize > 0 && !settings.KvCacheEnableBlockReuse)
        {
            draft.Warnings.Add("kv_cache_config.event_buffer_max_size is set but enable_block_reuse is false: POST /kv_cache_events will only ever report the pool's creation; turn block reuse on");
        }

        if (settings.KvCacheMaxTokens is { } maxTokens && maxTokens < settings.TokensPerBlock)
        {
            draft.Problem("kv_cache_config.max_tokens", $"must hold at least one block of {settings.TokensPerBlock} tokens (kv_cache_config.tokens_per_block), got {maxTokens}");
        }
    }
}
