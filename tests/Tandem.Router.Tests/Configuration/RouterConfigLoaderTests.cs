using Tandem.Router.Configuration;

namespace Tandem.Router.Tests.Configuration;

public sealed class RouterConfigLoaderTests
{
    [Fact]
    public void ReferenceExampleLoads()
    {
        var result = RouterConfigLoader.Load("""
            hostname: localhost
            port: 8000
            backend: pytorch
            context_servers:
              urls:
                  - "localhost:8001"
                  - "localhost:8002"
            generation_servers:
              urls:
                  - "localhost:8003"
            """);
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        var config = result.Config;
        Assert.Equal(("localhost", 8000, 1, "pytorch"), (config.Hostname, config.Port, config.MaxRetries, config.Backend));
        Assert.Equal(2, config.ContextServers.NumInstances);
        Assert.Equal([new Uri("http://localhost:8001/"), new Uri("http://localhost:8002/")], config.ContextServers.Urls);
        Assert.Equal("round_robin", config.GenerationServers.Router.Type);
        Assert.Equal("pytorch", config.ContextServers.WorkerSettings["backend"]);
        Assert.False(config.IsAggregated);
    }

    [Fact]
    public void TopLevelWorkerSettingsAreInheritedAndSectionsKeepTheirOwn()
    {
        var result = RouterConfigLoader.Load("""
            model: TinyLlama/TinyLlama-1.1B-Chat-v1.0
            max_retries: 3
            perf_metrics_max_requests: 100
            kv_cache_config:
              free_gpu_memory_fraction: 0.9
            context_servers:
              num_instances: 1
              tensor_parallel_size: 1
              pipeline_parallel_size: 1
              max_num_tokens: 4096
              kv_cache_config: {free_gpu_memory_fraction: 0.9}
              cache_transceiver_config: {backend: DEFAULT}
              router: {type: load_balancing, use_tokens: true}
              urls: ["http://127.0.0.1:8001"]
            generation_servers:
              num_instances: 1
              router:
                type: load_balancing
              urls: ["localhost:8003"]
            """);
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        var config = result.Config;
        Assert.Equal("TinyLlama/TinyLlama-1.1B-Chat-v1.0", config.Model);
        Assert.Equal((3, 100), (config.MaxRetries, config.PerfMetricsMaxRequests));
        Assert.Equal(new RoutingPolicyConfig { Type = "load_balancing", UseTokens = true }, config.ContextServers.Router);
        Assert.Equal(new RoutingPolicyConfig { Type = "load_balancing" }, config.GenerationServers.Router);
        Assert.Equal("{free_gpu_memory_fraction: 0.9}", config.GenerationServers.WorkerSettings["kv_cache_config"]);
        Assert.Equal("4096", config.ContextServers.WorkerSettings["max_num_tokens"]);
        Assert.False(config.GenerationServers.WorkerSettings.ContainsKey("max_num_tokens"));
        Assert.Equal("{backend: DEFAULT}", config.ContextServers.WorkerSettings["cache_transceiver_config"]);
    }

    [Fact]
    public void TheKvAwareExampleLoadsWithTheWorkersBlockSize()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "examples", "disaggregated", "disagg_config_kv_aware.yaml");
        var result = RouterConfigLoader.Load(File.ReadAllText(path));
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        Assert.Equal(new RoutingPolicyConfig { Type = "kv_cache_aware", TokensPerBlock = 16 }, result.Config.ContextServers.Router);
        Assert.Equal(new RoutingPolicyConfig { Type = "kv_cache_aware", TokensPerBlock = 16 }, result.Config.GenerationServers.Router);
        Assert.Equal(64, result.Config.MaxLocalPrefillLength);
        Assert.Contains("event_buffer_max_size: 1024", result.Config.ContextServers.WorkerSettings["kv_cache_config"], StringComparison.Ordinal);
    }

    [Fact]
    public void KvCacheAwareTakesTheSectionsBlockSizeAndBatchSizeUnlessItsBlockSetsThem()
    {
        const string yaml = """
            max_batch_size: 24
            conditional_disagg_config: {max_local_prefill_length: 100}
            context_servers:
              urls: ["localhost:8001", "localhost:8002"]
              kv_cache_config: {tokens_per_block: 16, enable_block_reuse: true, event_buffer_max_size: 1024}
              router: {type: kv_cache_aware}
            generation_servers:
              urls: ["localhost:8003"]
              router: {type: kv_cache_aware, tokens_per_block: 8, max_batch_size: 4}
            """;
        var result = RouterConfigLoader.Load(yaml);
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        Assert.Equal(new RoutingPolicyConfig { Type = "kv_cache_aware", TokensPerBlock = 16, MaxBatchSize = 24 }, result.Config.ContextServers.Router);
        Assert.Equal(new RoutingPolicyConfig { Type = "kv_cache_aware", TokensPerBlock = 8, MaxBatchSize = 4 }, result.Config.GenerationServers.Router);
        Assert.Equal(100, result.Config.MaxLocalPrefillLength);
        Assert.Null(RouterConfigLoader.Load("context_servers: {urls: [\"localhost:8001\"]}\ngeneration_servers: {urls: [\"localhost:8003\"]}\n").Config!.MaxLocalPrefillLength);
    }

    [Fact]
    public void PerfMetricsKeysGoToTheRouterAtTheTopAndToTheWorkersInASection()
    {
        var result = RouterConfigLoader.Load("""
            perf_metrics_max_requests: 1000
            context_servers:
              num_instances: 1
              return_perf_metrics: true
              perf_metrics_max_requests: 500
              urls: ["localhost:8001"]
            generation_servers:
              num_instances: 1
              urls: ["localhost:8002"]
            """);
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        var config = result.Config;
        Assert.Equal(1000, config.PerfMetricsMaxRequests);
        Assert.Equal("true", config.ContextServers.WorkerSettings["return_perf_metrics"]);
        Assert.Equal("500", config.ContextServers.WorkerSettings["perf_metrics_max_requests"]);
        Assert.False(config.GenerationServers.WorkerSettings.ContainsKey("perf_metrics_max_requests"));
    }

    [Fact]
    public void MixedServerWithTheSameSettingsIsAllowed()
    {
        var result = RouterConfigLoader.Load("""
            max_batch_size: 8
            context_servers: {urls: ["localhost:8001", "localhost:8002"]}
            generation_servers: {urls: ["localhost:8002"]}
            """);
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        Assert.Equal(result.Config.ContextServers.Urls[1], result.Config.GenerationServers.Urls[0]);
    }

    [Fact]
    public void NoContextInstancesIsAggregatedMode()
    {
        var result = RouterConfigLoader.Load("""
            context_servers: {num_instances: 0}
            generation_servers: {urls: ["localhost:8003"]}
            """);
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        Assert.True(result.Config.IsAggregated);
        Assert.Empty(result.Config.ContextServers.Urls);
    }

    [Fact]
    public void UnreadableFileIsAProblem()
    {
        var result = RouterConfigLoader.LoadFile(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "none.yaml"));
        Assert.Equal("--config", Assert.Single(result.Problems).Path);
    }
}
