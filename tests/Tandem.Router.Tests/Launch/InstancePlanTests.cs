using Tandem.Router.Configuration;
using Tandem.Router.Launch;

namespace Tandem.Router.Tests.Launch;

public sealed class InstancePlanTests
{
    private const string Example = """
        hostname: localhost
        port: 8000
        model: models/stories260K
        max_batch_size: 8
        context_servers:
          num_instances: 2
          tensor_parallel_size: 1
          kv_cache_config:
            free_gpu_memory_fraction: 0.2
            tokens_per_block: 16
          cache_transceiver_config:
            backend: DEFAULT
          urls:
            - "localhost:8001"
            - "localhost:8002"
        generation_servers:
          tokenizer: tok dir
          urls:
            - "localhost:8003"
        """;

    [Fact]
    public void Context_instances_come_first_then_generation_each_in_urls_order()
    {
        var plan = Plan(Example);

        Assert.Equal(["ctx:8001", "ctx:8002", "gen:8003"], plan.Instances.Select(i => i.Label));
        Assert.Equal([0, 1, 2], plan.Instances.Select(i => i.FirstRank));
        Assert.Equal(3, plan.TotalRanks);
        Assert.Equal("context localhost:8001 (rank 0); context localhost:8002 (rank 1); generation localhost:8003 (rank 2)", plan.Breakdown);
    }

    [Fact]
    public void Serve_arguments_carry_model_address_role_flags_and_the_config_file()
    {
        var plan = Plan(Example);

        Assert.Equal(
            ["models/stories260K", "--host", "localhost", "--port", "8001", "--server_role", "context", "--config", "/tmp/c.yaml", "--log_level", "debug"],
            plan.Instances[0].ServeArguments("/tmp/c.yaml", "debug"));
        Assert.Equal(
            ["models/stories260K", "--host", "localhost", "--port", "8003", "--server_role", "generation", "--tokenizer", "tok dir"],
            plan.Instances[2].ServeArguments(null, null));
    }

    [Fact]
    public void Worker_settings_become_the_serve_config_file_with_inherited_top_level_keys()
    {
        var plan = Plan(Example);

        Assert.Equal(
            "cache_transceiver_config: {backend: DEFAULT}\nkv_cache_config: {free_gpu_memory_fraction: 0.2, tokens_per_block: 16}\nmax_batch_size: \"8\"\n",
            plan.Instances[0].ConfigYaml);
        Assert.Equal("max_batch_size: \"8\"\n", plan.Instances[2].ConfigYaml);
    }

    [Fact]
    public void A_mixed_server_counts_once_at_its_context_position()
    {
        var plan = Plan("""
            model: m
            context_servers:
              urls: ["localhost:8001", "localhost:8002"]
            generation_servers:
              urls: ["localhost:8003", "localhost:8002"]
            """);

        Assert.Equal(["ctx:8001", "mixed:8002", "gen:8003"], plan.Instances.Select(i => i.Label));
        Assert.Equal("both", plan.Instances[1].ServeArguments(null, null)[6]);
        Assert.Equal(3, plan.TotalRanks);
        Assert.Equal(2, plan.ContextCount);
        Assert.Equal(2, plan.GenerationCount);
    }

    [Fact]
    public void Aggregated_mode_plans_only_generation_servers()
    {
        var plan = Plan("model: m\ncontext_servers:\n  num_instances: 0\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n");

        Assert.Equal(["gen:8003"], plan.Instances.Select(i => i.Label));
    }

    [Theory]
    [InlineData(2, 1, "context_servers.tensor_parallel_size: is 2")]
    [InlineData(1, 4, "context_servers.pipeline_parallel_size: is 4")]
    public void A_parallel_size_above_one_is_refused(int tensor, int pipeline, string message)
    {
        var config = Load(Example);
        var result = InstancePlan.Create(config with { ContextServers = config.ContextServers with { TensorParallelSize = tensor, PipelineParallelSize = pipeline } });

        Assert.False(result.IsValid);
        var problem = Assert.Single(result.Problems);
        Assert.StartsWith(message, problem, StringComparison.Ordinal);
        Assert.Contains("no tensor or pipeline parallelism yet", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_without_a_model_is_refused_for_each_section()
    {
        var result = InstancePlan.Create(Load("context_servers:\n  urls: [\"localhost:8001\"]\ngeneration_servers:\n  urls: [\"localhost:8003\"]\n"));

        Assert.Equal(2, result.Problems.Count);
        Assert.All(result.Problems, p => Assert.Contains("no model to start its servers with", p, StringComparison.Ordinal));
    }

    [Fact]
    public void Single_values_are_quoted_so_any_text_survives_and_flag_keys_become_flags()
    {
        var (model, flags, yaml) = WorkerConfigText.Split(new Dictionary<string, string>
        {
            ["model"] = "org/name",
            ["free_gpu_memory_fraction"] = "0.3",
            ["served_model_name"] = "my \"model\"",
            ["backend"] = "pytorch",
            ["max_seq_len"] = "",
        });

        Assert.Equal("org/name", model);
        Assert.Equal([new("--kv_cache_free_gpu_memory_fraction", "0.3"), new("--served_model_name", "my \"model\"")], flags);
        Assert.Equal("backend: \"pytorch\"\n", yaml);
    }

    private static InstancePlan Plan(string yaml)
    {
        var result = InstancePlan.Create(Load(yaml));
        Assert.True(result.IsValid, string.Join("\n", result.Problems));
        return result.Plan;
    }

    private static RouterConfig Load(string yaml)
    {
        var loaded = RouterConfigLoader.Load(yaml);
        Assert.True(loaded.IsValid, string.Join("\n", loaded.Problems));
        return loaded.Config;
    }
}
