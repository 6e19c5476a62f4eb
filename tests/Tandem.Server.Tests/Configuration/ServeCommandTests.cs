using Tandem.Cli;
using Tandem.Server.Configuration;

namespace Tandem.Server.Tests.Configuration;

public sealed class ServeCommandTests
{
    private static readonly ServeFlags Expected = new()
    {
        Model = "m",
        Host = "h",
        Port = "1",
        Backend = "pytorch",
        Tokenizer = "tok",
        ChatTemplate = "t.jinja",
        MaxBatchSize = "2",
        MaxNumTokens = "3",
        MaxSeqLen = "4",
        KvCacheMemory = "5MB",
        KvCacheFreeGpuMemoryFraction = "0.6",
        Threads = "7",
        Config = "c.yaml",
        ServerRole = "context",
        ApiKey = "k",
        LogLevel = "debug",
        ServedModelName = "s",
    };

    [Theory]
    [InlineData("_")]
    [InlineData("-")]
    public void EveryFlagParsesInBothSpellings(string separator)
    {
        var line = "m --host h --port 1 --backend pytorch --tokenizer tok --chat_template t.jinja --max_batch_size 2 --max_num_tokens 3 --max_seq_len 4 --kv_cache_memory 5MB --kv_cache_free_gpu_memory_fraction 0.6 --threads 7 --config c.yaml --server_role context --api_key k --log_level debug --served_model_name s";
        Assert.Equal(Expected, Loading.Flags(line.Replace("_", separator, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("--free_gpu_memory_fraction", "--extra_llm_api_options")]
    [InlineData("--free-gpu-memory-fraction", "--extra-llm-api-options")]
    public void TensorRtLlmAliasesParse(string fraction, string config)
    {
        var flags = Loading.Flags($"m {fraction} 0.6 {config} c.yaml");
        Assert.Equal("0.6", flags.KvCacheFreeGpuMemoryFraction);
        Assert.Equal("c.yaml", flags.Config);
    }

    [Fact]
    public void AbsentFlagsAreNull()
    {
        Assert.Equal(new ServeFlags { Model = "m" }, Loading.Flags("m"));
    }

    [Fact]
    public async Task InvalidSettingsExitWithTwo()
    {
        var parse = ServeCommand.Create().Parse(["m", "--port", "x", "--threads", "0"]);
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            Assert.Equal(ServeCommand.InvalidSettingsExitCode, await parse.InvokeAsync(cancellationToken: TestContext.Current.CancellationToken));
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.Contains("error: --port: expected an integer, got 'x'", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("error: --threads: must be between 1 and 1024, got 0", error.ToString(), StringComparison.Ordinal);
    }
}
