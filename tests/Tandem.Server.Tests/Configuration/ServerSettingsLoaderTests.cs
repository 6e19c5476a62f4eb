using Microsoft.Extensions.Logging;
using Tandem.Engine.KvCache;
using Tandem.Server.Configuration;

namespace Tandem.Server.Tests.Configuration;

public sealed class ServerSettingsLoaderTests
{
    private const string EveryKey = """
        backend: pytorch
        max_batch_size: 16
        max_num_tokens: 2048
        max_seq_len: 4096
        max_beam_width: 1
        tensor_parallel_size: 1
        pipeline_parallel_size: 1
        context_parallel_size: 1
        kv_cache_memory: 2GiB
        threads: 3
        max_waiting_requests: 7
        kv_cache_config:
          tokens_per_block: 64
          max_tokens: 65536
          free_gpu_memory_fraction: 0.25
          enable_block_reuse: false
        cache_transceiver_config:
          backend: TCP
          host: 127.0.0.2
          port: 9100
          max_tokens_in_buffer: 8192
          kv_transfer_timeout_ms: 5000
          kv_transfer_failure_policy: fail
        """;

    [Fact]
    public void DefaultsNeedOnlyTheModel()
    {
        var settings = Loading.Valid(null);
        Assert.Equal("models/tiny", settings.Model);
        Assert.Equal("127.0.0.1", settings.Host);
        Assert.Equal(8000, settings.Port);
        Assert.Equal("pytorch", settings.Backend);
        Assert.Null(settings.Tokenizer);
        Assert.Null(settings.ChatTemplate);
        Assert.Equal(64, settings.MaxBatchSize);
        Assert.Equal(8192, settings.MaxNumTokens);
        Assert.Null(settings.MaxSeqLen);
        Assert.Null(settings.KvCacheMemoryBytes);
        Assert.Equal(0.5, settings.KvCacheFreeMemoryFraction);
        Assert.Null(settings.KvCacheMaxTokens);
        Assert.Equal(32, settings.TokensPerBlock);
        Assert.True(settings.KvCacheEnableBlockReuse); // TensorRT-LLM's default too
        Assert.Null(settings.Threads);
        Assert.Equal(ServerRole.Both, settings.ServerRole);
        Assert.Null(settings.ApiKey);
        Assert.Equal(LogLevel.Information, settings.LogLevel);
        Assert.Equal(1024, settings.MaxWaitingRequests);
        Assert.Null(settings.ServedModelName);
        Assert.Equal(new CacheTransceiverSettings(), settings.CacheTransceiver);
        Assert.Equal(CacheTransceiverBackend.Default, settings.CacheTransceiver.Backend);
        Assert.Equal(60_000, settings.CacheTransceiver.KvTransferTimeoutMs);
        Assert.Equal(KvTransferFailurePolicy.Recompute, settings.CacheTransceiver.FailurePolicy);
    }

    [Fact]
    public void EveryYamlKeyIsRead()
    {
        var result = Loading.Run(EveryKey);
        Assert.True(result.IsValid, string.Join(Environment.NewLine, result.Problems));
        Assert.Empty(result.Warnings);
        var settings = result.Settings;
        Assert.Equal(16, settings.MaxBatchSize);
        Assert.Equal(2048, settings.MaxNumTokens);
        Assert.Equal(4096, settings.MaxSeqLen);
        Assert.Equal(2L << 30, settings.KvCacheMemoryBytes);
        Assert.Equal(3, settings.Threads);
        Assert.Equal(7, settings.MaxWaitingRequests);
        Assert.Equal(64, settings.TokensPerBlock);
        Assert.Equal(65536, settings.KvCacheMaxTokens);
        Assert.Equal(0.25, settings.KvCacheFreeMemoryFraction);
        Assert.False(settings.KvCacheEnableBlockReuse);
        Assert.Equal(
            new CacheTransceiverSettings
            {
                Backend = CacheTransceiverBackend.Tcp,
                Host = "127.0.0.2",
                Port = 9100,
                MaxTokensInBuffer = 8192,
                KvTransferTimeoutMs = 5000,
                FailurePolicy = KvTransferFailurePolicy.Fail,
            },
            settings.CacheTransceiver);
    }

    [Fact]
    public void EveryFlagIsRead()
    {
        var settings = Loading.Valid(null, "m --host 0.0.0.0 --port 0 --backend tandem --tokenizer tok --chat_template t.jinja --max_batch_size 8 --max_num_tokens 512 --max_seq_len 1024 --kv_cache_memory 512MiB --kv_cache_free_gpu_memory_fraction 0.3 --threads 2 --server_role CONTEXT --api_key secret --log_level debug --served_model_name tiny");
        Assert.Equal(
            new ServerSettings
            {
                Model = "m",
                Host = "0.0.0.0",
                Port = 0,
                Backend = "tandem",
                Tokenizer = "tok",
                ChatTemplate = "t.jinja",
                MaxBatchSize = 8,
                MaxNumTokens = 512,
                MaxSeqLen = 1024,
                KvCacheMemoryBytes = 512L << 20,
                KvCacheFreeMemoryFraction = 0.3,
                Threads = 2,
                ServerRole = ServerRole.Context,
                ApiKey = "secret",
                LogLevel = LogLevel.Debug,
                ServedModelName = "tiny",
            },
            settings);
    }

    [Fact]
    public void FlagsOverrideYamlWhichOverridesDefaults()
    {
        const string yaml = """
            max_batch_size: 16
            max_num_tokens: 2048
            threads: 3
            """;
        var settings = Loading.Valid(yaml, "m --max_batch_size 4");
        Assert.Equal(4, settings.MaxBatchSize);
        Assert.Equal(2048, settings.MaxNumTokens);
        Assert.Equal(3, settings.Threads);
        Assert.Equal(8000, settings.Port);
    }

    [Fact]
    public void AMemoryFractionFlagReplacesTheYamlSize()
    {
        var settings = Loading.Valid("kv_cache_memory: 1GiB", "m --free_gpu_memory_fraction 0.2");
        Assert.Null(settings.KvCacheMemoryBytes);
        Assert.Equal(0.2, settings.KvCacheFreeMemoryFraction);

        var both = Loading.Valid("kv_cache_config: {free_gpu_memory_fraction: 0.9}", "m --kv_cache_memory 1GiB");
        Assert.Equal(1L << 30, both.KvCacheMemoryBytes);
    }

    [Fact]
    public void NullAndEmptyValuesKeepTheDefaults()
    {
        var settings = Loading.Valid("max_batch_size:\nmax_num_tokens: ~\nkv_cache_config: null\n");
        Assert.Equal(64, settings.MaxBatchSize);
        Assert.Equal(8192, settings.MaxNumTokens);
        Assert.Equal(Loading.Valid(""), Loading.Valid("# only a comment\n"));
    }

    [Fact]
    public void TheIssueSpellingOfTheMemoryFractionAndTheOldTransferBufferKeyAreAccepted()
    {
        var result = Loading.Run("kv_cache_config: {free_memory_fraction: 0.7}\ncache_transceiver_config: {max_num_tokens: 4096}");
        Assert.True(result.IsValid);
        Assert.Equal(0.7, result.Settings.KvCacheFreeMemoryFraction);
        Assert.Equal(4096, result.Settings.CacheTransceiver.MaxTokensInBuffer);
        Assert.Contains(result.Warnings, w => w.Contains("cache_transceiver_config.max_num_tokens: an older spelling of max_tokens_in_buffer", StringComparison.Ordinal));
    }

    [Fact]
    public void PerfMetricsSettingsAreReadAndAHalfSetPairIsWarnedAbout()
    {
        var both = Loading.Run("return_perf_metrics: true\nperf_metrics_max_requests: 100\n");
        Assert.True(both.IsValid, string.Join(Environment.NewLine, both.Problems));
        Assert.True(both.Settings!.ReturnPerfMetrics);
        Assert.Equal(100, both.Settings.PerfMetricsMaxRequests);
        Assert.Empty(both.Warnings);

        var onlySwitch = Loading.Run("return_perf_metrics: true\n");
        Assert.Contains(onlySwitch.Warnings, w => w.Contains("perf_metrics_max_requests is 0", StringComparison.Ordinal));
        var onlySize = Loading.Run("perf_metrics_max_requests: 5\n");
        Assert.Contains(onlySize.Warnings, w => w.Contains("return_perf_metrics is false", StringComparison.Ordinal));

        var wrong = Loading.Run("perf_metrics_max_requests: lots\n");
        Assert.False(wrong.IsValid);
        Assert.Contains(wrong.Problems, p => p.ToString().Contains("perf_metrics_max_requests", StringComparison.Ordinal));
    }

    [Fact]
    public void GpuOnlyKeysAreWarningsThatNameEachKey()
    {
        const string yaml = """
            disable_overlap_scheduler: true
            cuda_graph_config:
              batch_sizes: [1, 2, 4]
              enable_padding: true
            enable_attention_dp: false
            print_iter_log: true
            enable_chunked_prefill: true
            enable_iter_perf_stats: true
            kv_cache_config:
              dtype: fp8
              enable_block_reuse: false
            cache_transceiver_config:
              backend: DEFAULT
              transceiver_runtime: CPP
            """;
        var result = Loading.Run(yaml);
        Assert.True(result.IsValid, string.Join(Environment.NewLine, result.Problems));
        string[] ignored =
        [
            "disable_overlap_scheduler", "cuda_graph_config", "enable_attention_dp", "print_iter_log", "enable_chunked_prefill",
            "enable_iter_perf_stats", "cache_transceiver_config.transceiver_runtime",
        ];
        Assert.Equal(ignored.Length + 1, result.Warnings.Count);
        foreach (var key in ignored)
        {
            Assert.Contains(result.Warnings, w => w.StartsWith(key + ": ignored", StringComparison.Ordinal));
        }

        Assert.Contains(result.Warnings, w => w.StartsWith("kv_cache_config.dtype: fp8 is a GPU cache format", StringComparison.Ordinal) && w.Contains("stays float32", StringComparison.Ordinal));
        Assert.Equal(KvCacheDType.Float32, result.Settings.KvCacheDType);
    }

    [Theory]
    [InlineData("auto", KvCacheDType.Float32)]
    [InlineData("float32", KvCacheDType.Float32)]
    [InlineData("FP32", KvCacheDType.Float32)]
    [InlineData("bfloat16", KvCacheDType.BFloat16)]
    [InlineData("bf16", KvCacheDType.BFloat16)]
    public void TheKvCacheDtypeComesFromTheYamlOrTheFlagAndTheFlagWins(string value, KvCacheDType expected)
    {
        Assert.Equal(KvCacheDType.Float32, Loading.Valid(null).KvCacheDType);
        Assert.Equal(expected, Loading.Valid($"kv_cache_config:\n  dtype: {value}\n").KvCacheDType);
        Assert.Equal(expected, Loading.Valid(null, $"m --kv_cache_dtype {value}").KvCacheDType);
        Assert.Equal(expected, Loading.Valid("kv_cache_config: {dtype: fp32}", $"m --kv-cache-dtype {value}").KvCacheDType);
        Assert.Equal(expected, Loading.Valid($"kv_cache_config: {{dtype: {value}}}").ToEngineOptions().KvCacheDType);
    }

    [Fact]
    public void AnUnknownKvCacheDtypeIsAProblemNamingTheChoices()
    {
        var yaml = Loading.Run("kv_cache_config:\n  dtype: float8\n");
        var problem = Assert.Single(yaml.Problems);
        Assert.Equal("kv_cache_config.dtype", problem.Path);
        Assert.Contains("unknown KV cache dtype 'float8'; use auto, float32 (fp32) or bfloat16 (bf16)", problem.Message, StringComparison.Ordinal);

        var flag = Loading.Run(null, "m --kv_cache_dtype fp8");
        Assert.Equal("--kv_cache_dtype", Assert.Single(flag.Problems).Path);
    }

    [Fact]
    public void TheReferenceWorkerConfigRunsUnchanged()
    {
        const string yaml = """
            disable_overlap_scheduler: True
            cache_transceiver_config:
              backend: UCX
              max_tokens_in_buffer: 2048
            """;
        Assert.False(Loading.Run(yaml).IsValid);
        var settings = Loading.Valid(yaml.Replace("UCX", "DEFAULT", StringComparison.Ordinal), "TinyLlama/TinyLlama-1.1B-Chat-v1.0 --host localhost --port 8001 --backend pytorch");
        Assert.Equal(2048, settings.CacheTransceiver.MaxTokensInBuffer);
        Assert.Equal("localhost", settings.Host);
    }

    [Theory]
    [InlineData("TRTLLM_USE_UCX_KVCACHE")]
    [InlineData("TRTLLM_USE_MPI_KVCACHE")]
    [InlineData("TRTLLM_USE_NIXL_KVCACHE")]
    public void LegacyTransferSwitchesMeanTheDefaultBackend(string variable)
    {
        var result = Loading.Run(null, environment: new Dictionary<string, string> { [variable] = "1" });
        Assert.True(result.IsValid);
        Assert.Equal(CacheTransceiverBackend.Default, result.Settings.CacheTransceiver.Backend);
        Assert.Contains(result.Warnings, w => w.StartsWith(variable + " is set", StringComparison.Ordinal));
        Assert.Empty(Loading.Run(null).Warnings);
    }

    [Fact]
    public void BlockReuseIsOnUnlessTurnedOffAndReachesTheEngine()
    {
        Assert.True(Loading.Run(null).Settings!.ToEngineOptions().EnableBlockReuse);
        var off = Loading.Run("kv_cache_config:\n  enable_block_reuse: no\n");
        Assert.True(off.IsValid);
        Assert.False(off.Settings.KvCacheEnableBlockReuse);
        Assert.False(off.Settings.ToEngineOptions().EnableBlockReuse);
        Assert.Empty(off.Warnings);
    }

    [Fact]
    public void EventBufferMaxSizeReachesTheEngineAndIsWarnedAboutWithoutBlockReuse()
    {
        Assert.Equal(0, Loading.Run(null).Settings!.ToEngineOptions().KvEventBufferMaxSize);
        var on = Loading.Run("kv_cache_config:\n  event_buffer_max_size: 1024\n");
        Assert.True(on.IsValid);
        Assert.Equal(1024, on.Settings.ToEngineOptions().KvEventBufferMaxSize);
        Assert.Empty(on.Warnings);

        var withoutReuse = Loading.Run("kv_cache_config:\n  event_buffer_max_size: 16\n  enable_block_reuse: false\n");
        Assert.True(withoutReuse.IsValid);
        Assert.Contains(withoutReuse.Warnings, w => w.StartsWith("kv_cache_config.event_buffer_max_size is set but enable_block_reuse is false", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryProblemIsReportedAtOnce()
    {
        const string yaml = """
            max_batch_size: lots
            tensor_parallel_size: 2
            kv_cache_config:
              tokens_per_blok: 64
              free_gpu_memory_fraction: 1.5
            cache_transceiver_config:
              backend: NIXL
            """;
        var result = Loading.Run(yaml, "m --port -1 --server_role prefill --kv_cache_memory 12XB");
        Assert.False(result.IsValid);
        Assert.Null(result.Settings);
        string[] paths =
        [
            "max_batch_size", "tensor_parallel_size", "kv_cache_config.tokens_per_blok", "kv_cache_config.free_gpu_memory_fraction",
            "cache_transceiver_config.backend", "--port", "--server_role", "--kv_cache_memory",
        ];
        Assert.Equal(paths.Order(StringComparer.Ordinal), result.Problems.Select(p => p.Path).Order(StringComparer.Ordinal));

        var exception = Assert.Throws<SettingsException>(result.GetSettingsOrThrow);
        Assert.Equal(paths.Length, exception.Problems.Count);
        Assert.StartsWith("invalid settings (8 problems):", exception.Message, StringComparison.Ordinal);
        foreach (var path in paths)
        {
            Assert.Contains(Environment.NewLine + "  " + path + ": ", exception.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AnUnreadableConfigFileIsOneProblemAmongTheOthers()
    {
        var flags = Loading.Flags("m --config /nonexistent/tandem.yaml --threads 0");
        var result = ServerSettingsLoader.LoadFromFile(flags, _ => null);
        Assert.Equal(["--config", "--threads"], result.Problems.Select(p => p.Path));
        Assert.Contains("cannot read '/nonexistent/tandem.yaml'", result.Problems[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AConfigFileIsReadFromDisk()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tandem-settings-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "max_batch_size: 5\n");
        try
        {
            var result = ServerSettingsLoader.LoadFromFile(Loading.Flags($"m --extra_llm_api_options {path}"), _ => null);
            Assert.True(result.IsValid);
            Assert.Equal(5, result.Settings.MaxBatchSize);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
