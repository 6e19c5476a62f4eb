using System.CommandLine;
using Tandem.Server;
using Tandem.Server.Configuration;

namespace Tandem.Cli;

/// <summary>
/// <c>tandem serve MODEL</c>: the worker server, with <c>trtllm-serve</c>'s flag names (underscored; the dashed
/// spelling works too). Values reach the settings loader as typed, so a bad flag is reported together with the
/// YAML file's problems; exit code 2 when any setting is invalid.
/// </summary>
public static class ServeCommand
{
    public const int InvalidSettingsExitCode = 2;

    public static Command Create()
    {
        // Optional to the parser so that a missing model is reported with every other settings problem.
        var model = new Argument<string?>("MODEL") { Description = "Model directory in Hugging Face layout, or a Hugging Face repo id (org/name[@revision])", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("serve", "Run an OpenAI-compatible worker server: aggregated, or the context or generation server of a disaggregated deployment")
        {
            model,
            Flag("--host", "HOST", "Address to listen on (default: 127.0.0.1)"),
            Flag("--port", "PORT", "HTTP port; 0 picks a free one (default: 8000)"),
            Flag("--backend", "NAME", "Inference backend: pytorch (TensorRT-LLM's default, accepted as a name for Tandem's CPU engine) or tandem"),
            Flag("--tokenizer", "DIR", "Tokenizer directory (default: the model's own; a GGUF file's from its metadata)"),
            Flag("--chat-template", "FILE", "Jinja chat template file (default: the model's)"),
            Flag("--max-batch-size", "N", "Most requests in one engine step (default: 64)"),
            Flag("--max-num-tokens", "N", "Most tokens in one engine step; longer prompts run in chunks (default: 8192)"),
            Flag("--max-seq-len", "N", "Most tokens (prompt + generated) of one request (default: the model's context length)"),
            Flag("--kv-cache-memory", "SIZE", $"KV cache size: bytes or a number with a unit, {ByteSize.Units}; e.g. 512MB, 2GiB, 1.5G. Wins over the memory fraction"),
            Flag("--kv-cache-free-gpu-memory-fraction", "F", "Fraction (0, 1] of the available host memory given to the KV cache when no size is set (TensorRT-LLM's GPU fraction; default: 0.5)", "--free-gpu-memory-fraction"),
            Flag("--kv-cache-dtype", "DTYPE", "What the KV cache stores: auto or float32 (default), or bfloat16: twice the tokens in the same memory, half the bytes a KV transfer moves; K and V rounded to bfloat16"),
            Flag("--threads", "N", "Compute threads (default: one per processor)"),
            Flag("--quantization", "none|int8|int4", "Quantize the linear layers' weights at load: int8 = Q8_0, int4 = Q4_0 (blocks of 32; rows not a multiple of 32 stay as stored; default: none)"),
            Flag("--config", "FILE", "YAML file of TensorRT-LLM LLM-API settings (max_batch_size, kv_cache_config, cache_transceiver_config, ...); flags override it", "--extra-llm-api-options"),
            Flag("--server-role", "ROLE", "context, generation or both (default: both; case-insensitive)"),
            Flag("--api-key", "KEY", "Require this key as an Authorization: Bearer token"),
            Flag("--log-level", "LEVEL", "trace, debug, info, warning or error (default: info)"),
            Flag("--served-model-name", "NAME", "Model name that clients use (default: the model directory's name)"),
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var result = ServerSettingsLoader.LoadFromFile(ReadFlags(parse), Environment.GetEnvironmentVariable);
            foreach (var warning in result.Warnings)
            {
                await Console.Error.WriteLineAsync($"warning: {warning}");
            }

            if (!result.IsValid)
            {
                foreach (var problem in result.Problems)
                {
                    await Console.Error.WriteLineAsync($"error: {problem}");
                }

                return InvalidSettingsExitCode;
            }

            return await WorkerServer.RunAsync(result.Settings, cancellationToken);
        });
        return command;
    }

    public static ServeFlags ReadFlags(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new ServeFlags
        {
            Model = parse.GetValue<string?>("MODEL"),
            Host = parse.GetValue<string?>("--host"),
            Port = parse.GetValue<string?>("--port"),
            Backend = parse.GetValue<string?>("--backend"),
            Tokenizer = parse.GetValue<string?>("--tokenizer"),
            ChatTemplate = parse.GetValue<string?>("--chat-template"),
            MaxBatchSize = parse.GetValue<string?>("--max-batch-size"),
            MaxNumTokens = parse.GetValue<string?>("--max-num-tokens"),
            MaxSeqLen = parse.GetValue<string?>("--max-seq-len"),
            KvCacheMemory = parse.GetValue<string?>("--kv-cache-memory"),
            KvCacheFreeGpuMemoryFraction = parse.GetValue<string?>("--kv-cache-free-gpu-memory-fraction"),
            KvCacheDType = parse.GetValue<string?>("--kv-cache-dtype"),
            Threads = parse.GetValue<string?>("--threads"),
            Quantization = parse.GetValue<string?>("--quantization"),
            Config = parse.GetValue<string?>("--config"),
            ServerRole = parse.GetValue<string?>("--server-role"),
            ApiKey = parse.GetValue<string?>("--api-key"),
            LogLevel = parse.GetValue<string?>("--log-level"),
            ServedModelName = parse.GetValue<string?>("--served-model-name"),
        };
    }

    private static Option<string?> Flag(string name, string helpName, string description, params string[] aliases)
    {
        var option = Options.Named<string?>(name, description, null);
        option.HelpName = helpName;
        foreach (var alias in aliases)
        {
            option.Aliases.Add(alias);
            option.Aliases.Add("--" + alias[2..].Replace('-', '_'));
        }

        return option;
    }
}
