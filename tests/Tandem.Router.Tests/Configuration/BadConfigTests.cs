using Tandem.Router.Configuration;

namespace Tandem.Router.Tests.Configuration;

/// <summary>Each bad config gets its own clear message, under the key path of the mistake.</summary>
public sealed class BadConfigTests
{
    private const string Servers = """
        context_servers:
          urls: ["localhost:8001"]
        generation_servers:
          urls: ["localhost:8003"]
        """;

    public static TheoryData<string, string, string> Cases => new()
    {
        { "prot: 8000\n" + Servers, "prot", "did you mean 'port'?" },
        { "port: eighty\n" + Servers, "port", "expected an integer, got 'eighty'" },
        { "port: 70000\n" + Servers, "port", "must be between 0 and 65535, got 70000" },
        { "max_retries: -1\n" + Servers, "max_retries", "must be between 0 and 100, got -1" },
        { "generation_servers:\n  urls: [\"localhost:8003\"]\n", "context_servers", "missing; list the context servers under urls (or set num_instances: 0" },
        { "context_servers:\n  urls: [\"localhost:8001\"]\n", "generation_servers", "missing; list the generation servers under urls" },
        { "context_servers:\n  num_instances: 2\n  urls: [\"localhost:8001\"]\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n", "context_servers.num_instances", "is 2 but urls lists 1 server(s); the two must match" },
        { "context_servers:\n  num_instances: 1\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n", "context_servers.urls", "missing; list the 1 server address(es) as host:port" },
        { "context_servers:\n  urls: [\"localhost\"]\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n", "context_servers.urls[0]", "'localhost' has no port; write host:port" },
        { "context_servers:\n  urls: [\"localhost:8001\", \"localhost:8001\"]\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n", "context_servers.urls[1]", "'localhost:8001' is listed twice (also context_servers.urls[0])" },
        { "context_servers:\n  urls: [\"localhost:8001\"]\n  router: {type: random}\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n", "context_servers.router.type", "unknown policy 'random'; use one of round_robin, load_balancing" },
        { "context_servers:\n  urls: [\"localhost:8001\"]\n  router: {type: conversation}\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n", "context_servers.router.type", "policy 'conversation' is not supported by Tandem" },
        { "conditional_disagg_config: {max_local_prefill_length: 100}\ncontext_servers:\n  urls: [\"localhost:8001\"]\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n", "conditional_disagg_config", "needs generation_servers.router.type: kv_cache_aware" },
        { "conditional_disagg_config: {max_local_prefill_length: -1}\ncontext_servers:\n  urls: [\"localhost:8001\"]\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n  router: {type: kv_cache_aware}\n", "conditional_disagg_config.max_local_prefill_length", "must be" },
        { "context_servers:\n  urls: [\"localhost:8001\"]\n  router: {type: round_robin, tokens_per_block: 16}\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n", "context_servers.router.tokens_per_block", "applies to the kv_cache_aware policy only, not round_robin" },
        { "context_servers:\n  urls: [\"localhost:8001\"]\n  router: {type: kv_cache_aware, max_batch_size: 0}\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n", "context_servers.router.max_batch_size", "must be between 1 and" },
        { "context_servers:\n  urls: [\"localhost:8001\"]\n  router: {type: round_robin, use_tokens: true}\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n", "context_servers.router.use_tokens", "applies to the load_balancing policy only, not round_robin" },
        { "max_batch_size: 8\n" + Servers.Replace("urls: [\"localhost:8003\"]", "urls: [\"localhost:8003\"]\n  max_batch_size: 16", StringComparison.Ordinal), "generation_servers.max_batch_size", "is 16 here but 8 at the top level" },
        { "context_servers:\n  urls: [\"localhost:8001\"]\n  max_batch_size: 4\ngeneration_servers:\n  urls: [\"localhost:8001\"]\n", "generation_servers.urls[0]", "is also context_servers.urls[0] (a mixed server, one process), so both sections must give it the same worker settings; they differ in max_batch_size" },
        { "context_servers:\n  urls: [\"localhost:8001\"]\n  tensor_parallel_size: 2\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n", "context_servers.tensor_parallel_size", "must be 1" },
        { "context_servers:\n  urls: [\"localhost:8001\"]\n  kv_cache_confg: {}\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n", "context_servers.kv_cache_confg", "did you mean 'kv_cache_config'?" },
        { "context_servers:\n  urls: [\"localhost:8001\"]\ngeneration_servers:\n  num_instances: 0\n", "generation_servers.num_instances", "must be between 1 and 4096, got 0" },
        { "disagg_cluster: {cluster_uri: http://x}\n" + Servers, "disagg_cluster", "dynamic worker registration is not supported" },
        { "context_servers: [a, b]\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n", "context_servers", "expected a mapping of keys, got a list" },
        { "port: [1\n", "--config", "malformed YAML" },
        { "", "--config", "the file is empty" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachMistakeIsReportedUnderItsKeyPath(string yaml, string path, string message)
    {
        var result = RouterConfigLoader.Load(yaml);
        Assert.False(result.IsValid);
        Assert.Contains(result.Problems, p => p.Path == path && p.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void EveryProblemIsReportedAtOnce()
    {
        var result = RouterConfigLoader.Load("""
            port: x
            max_retries: -2
            colour: blue
            context_servers:
              urls: ["localhost"]
              router: {type: random}
            generation_servers:
              num_instances: 2
              urls: ["localhost:8003"]
            """);
        Assert.Equal(
            ["port", "max_retries", "colour", "context_servers.urls[0]", "context_servers.router.type", "generation_servers.num_instances"],
            result.Problems.Select(p => p.Path));
        Assert.All(result.Problems, p => Assert.True(p.Line > 0, p.ToString()));
    }
}
