namespace Tandem.Server.Tests.Configuration;

public sealed class BadSettingsTests
{
    public static TheoryData<string, string, string, string> Cases => new()
    {
        { "kv_cache_config:\n  tokens_per_blok: 64", "m", "kv_cache_config.tokens_per_blok", "unknown key; did you mean 'tokens_per_block'?" },
        { "cache_transceiver_config:\n  retries: 3", "m", "cache_transceiver_config.retries", "unknown key; the keys here are backend, host, kv_transfer_failure_policy" },
        { "max_batch_size: many", "m", "max_batch_size", "expected an integer, got 'many'" },
        { "max_num_tokens: -5", "m", "max_num_tokens", "must be at least 1, got -5" },
        { "max_seq_len: 1", "m", "max_seq_len", "must be at least 2, got 1" },
        { "max_seq_len: {a: 1}", "m", "max_seq_len", "expected a single value, got a mapping" },
        { "kv_cache_config: 5", "m", "kv_cache_config", "expected a mapping of keys, got a value '5'" },
        { "kv_cache_config:\n  free_gpu_memory_fraction: 1.5", "m", "kv_cache_config.free_gpu_memory_fraction", "must be a fraction greater than 0 and at most 1, got 1.5" },
        { "kv_cache_config:\n  enable_block_reuse: maybe", "m", "kv_cache_config.enable_block_reuse", "expected true or false, got 'maybe'" },
        { "kv_cache_config:\n  event_buffer_max_size: -1", "m", "kv_cache_config.event_buffer_max_size", "must be between 0 and 16777216, got -1" },
        { "kv_cache_config:\n  max_tokens: 8", "m", "kv_cache_config.max_tokens", "must hold at least one block of 32 tokens" },
        { "cache_transceiver_config:\n  backend: UCX", "m", "cache_transceiver_config.backend", "backend 'UCX' is not supported; Tandem's transfer backends are DEFAULT and TCP" },
        { "cache_transceiver_config:\n  backend: RDMA", "m", "cache_transceiver_config.backend", "unknown backend 'RDMA'; the supported backends are DEFAULT and TCP" },
        { "cache_transceiver_config:\n  port: -1", "m", "cache_transceiver_config.port", "must be between 0 and 65535, got -1" },
        { "cache_transceiver_config:\n  kv_transfer_failure_policy: retry", "m", "cache_transceiver_config.kv_transfer_failure_policy", "unknown policy 'retry'; use recompute or fail" },
        { "tensor_parallel_size: 2", "m", "tensor_parallel_size", "tensor parallelism is not supported yet" },
        { "pipeline_parallel_size: 4", "m", "pipeline_parallel_size", "pipeline parallelism is not supported yet" },
        { "max_beam_width: 4", "m", "max_beam_width", "beam search is not supported yet" },
        { "backend: _autodeploy", "m", "backend", "Tandem has one backend, its CPU engine" },
        { "kv_cache_memory: 12XB", "m", "kv_cache_memory", "unknown unit 'XB' in '12XB'" },
        { "- max_batch_size: 4", "m", "--config", "expected a mapping of settings (key: value lines), got a list" },
        { "max_batch_size: [1, 2", "m", "--config", "malformed YAML" },
        { "max_batch_size: 1\n---\nmax_batch_size: 2", "m", "--config", "expected one YAML document" },
        { "", "m --server_role prefill", "--server_role", "unknown role 'prefill'; use context, generation or both (the prefill phase is called context" },
        { "", "m --backend tensorrt", "--backend", "backend 'tensorrt' is not available: Tandem has one backend" },
        { "", "m --backend trt", "--backend", "backend 'trt' is not available" },
        { "", "m --kv_cache_memory 12XB", "--kv_cache_memory", "unknown unit 'XB' in '12XB'" },
        { "", "m --free_gpu_memory_fraction 0", "--kv_cache_free_gpu_memory_fraction", "must be a fraction greater than 0 and at most 1, got 0" },
        { "", "m --port 70000", "--port", "must be between 0 and 65535, got 70000" },
        { "", "m --threads 0", "--threads", "must be between 1 and 1024, got 0" },
        { "", "m --quantization int3", "--quantization", "unknown quantization 'int3'; use none, int8 or int4" },
        { "quantization: int3", "m", "quantization", "unknown quantization 'int3'; use none, int8 or int4" },
        { "", "m --log_level verbose", "--log_level", "unknown log level 'verbose'; use trace, debug, info, warning or error" },
        { "", "m --max_batch_size 1.5", "--max_batch_size", "expected an integer, got '1.5'" },
        { "", "m --max_num_tokens 99999999999", "--max_num_tokens", "must be at most 2147483647, got 99999999999" },
        { "", "", "MODEL", "a model directory or Hugging Face repo id (org/name) is required" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachMistakeHasItsOwnMessage(string yaml, string commandLine, string path, string message)
    {
        var result = Loading.Run(yaml, commandLine);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(path, problem.Path);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        Assert.False(result.IsValid);
    }

    [Fact]
    public void MalformedYamlSaysWhere()
    {
        var problem = Assert.Single(Loading.Run("max_batch_size: 4\nkv_cache_config:\n  tokens_per_block: [1, 2\n").Problems);
        Assert.Equal("--config", problem.Path);
        Assert.True(problem.Line >= 3, problem.ToString());
        Assert.Contains("(line ", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void YamlProblemsCarryTheKeyPosition()
    {
        var problem = Assert.Single(Loading.Run("max_batch_size: 4\nkv_cache_config:\n  tokens_per_blok: 64\n").Problems);
        Assert.Equal((3, 3), (problem.Line, problem.Column));
        Assert.Equal("kv_cache_config.tokens_per_blok: unknown key; did you mean 'tokens_per_block'? (line 3, column 3)", problem.ToString());
    }

    [Fact]
    public void ADuplicateKeyIsAnError()
    {
        var problem = Assert.Single(Loading.Run("max_batch_size: 4\nmax_batch_size: 8\n").Problems);
        Assert.Equal("--config", problem.Path);
        Assert.Equal(2, problem.Line);
    }
}
