using System.CommandLine;
using Tandem.Engine.Execution;
using Tandem.Engine.Runtime;
using Tandem.Engine.Sampling;

namespace Tandem.Cli;

/// <summary><c>tandem generate MODEL --prompt TEXT</c>: one completion on this machine, then its speed.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "Model directory in Hugging Face layout, a Hugging Face repo id (org/name[@revision]), or a .gguf file" };
        var prompt = new Option<string>("--prompt", "-p") { Description = "The prompt text", Required = true };
        var maxTokens = Options.Named<int>("--max-tokens", "Most tokens to generate", 128);
        var temperature = Options.Named<float>("--temperature", "Sampling temperature; 0 is greedy", 0f);
        var topP = Options.Named<float>("--top-p", "Nucleus sampling probability mass", 1f);
        var topK = Options.Named<int>("--top-k", "Sample among the K most likely tokens; 0 is off", 0);
        var seed = Options.Named<ulong?>("--seed", "Random seed (same seed, same output)", null);
        var chat = new Option<bool>("--chat") { Description = "Wrap the prompt as a user message in the model's chat template" };
        var threads = Options.Named<int?>("--threads", "Compute threads (default: one per processor)", null);
        var tokenizer = Options.Named<string?>("--tokenizer", "Tokenizer directory (Hugging Face layout); default: the model's own (a GGUF file's from its metadata)", null);
        var quantization = Options.Quantization();
        var kvDType = Options.KvCacheDType();

        var command = new Command("generate", "Generate text from a prompt and print prefill and decode speed") { model, prompt, maxTokens, temperature, topP, topK, seed, chat, threads, tokenizer, quantization, kvDType };
        command.SetAction((parse, cancellationToken) => LoadFailures.ReportAsync(async () =>
        {
            var options = new EngineOptions
            {
                Threads = parse.GetValue(threads),
                MaxBatchSize = 1,
                KvCacheMemoryBytes = 1L << 30,
                Quantization = parse.GetValue(quantization),
                KvCacheDType = parse.GetValue(kvDType),
            };
            await using var local = await LocalModel.LoadAsync(parse.GetValue(model)!, options, downloadProgress: Tandem.Engine.Hub.ConsoleProgressBar.ForStandardError(), tokenizerDirectory: parse.GetValue(tokenizer), cancellationToken: cancellationToken);
            if (local.QuantizationNote is { } note)
            {
                await Console.Error.WriteLineAsync(note);
            }

            if (local.MatrixUnitsNote is { } units)
            {
                await Console.Error.WriteLineAsync($"matrix units: {units}");
            }

            var sampling = new SamplingParams
            {
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                TopK = parse.GetValue(topK),
                Seed = parse.GetValue(seed),
            };
            var text = parse.GetValue(prompt)!;
            if (!parse.GetValue(chat))
            {
                Console.Write(text);
            }

            var report = await TextGenerator.GenerateAsync(local, text, parse.GetValue(chat), parse.GetValue(maxTokens), sampling, Console.Write, cancellationToken);
            Console.WriteLine();
            if (report.Finish is FinishReason.Rejected or FinishReason.Failed)
            {
                await Console.Error.WriteLineAsync($"error: {report.Message}");
                return 1;
            }

            await Console.Error.WriteLineAsync(
                $"prefill: {report.PromptTokens} tokens, {report.PrefillTokensPerSecond:F1} tok/s | decode: {report.GeneratedTokens} tokens, {report.DecodeTokensPerSecond:F1} tok/s | {local.Engine.ThreadCount} threads | finish: {report.Finish}");
            return 0;
        }));
        return command;
    }
}
