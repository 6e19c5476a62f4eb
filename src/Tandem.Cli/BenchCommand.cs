using System.CommandLine;
using Tandem.Engine.Execution;
using Tandem.Engine.Runtime;

namespace Tandem.Cli;

/// <summary><c>tandem bench engine MODEL</c>: engine throughput without HTTP.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "Model directory or Hugging Face repo id (for the reference figures: `tandem model create --preset tinyllama-1.1b --dtype bf16 --out DIR`)" };
        var threads = Options.Named<int?>("--threads", "Compute threads (default: one per processor)", null);
        var prefill = Options.Named<int>("--prefill-tokens", "Prompt length of the prefill measurement", 512);
        var decode = Options.Named<int>("--decode-tokens", "Tokens generated per request in the decode measurements", 64);
        var quantization = Options.Quantization();
        var batches = new Option<int[]>("--batch") { Description = "Decode batch sizes", DefaultValueFactory = _ => [1, 16], AllowMultipleArgumentsPerToken = true };

        var engine = new Command("engine", "Prefill and decode tokens per second, and weight bandwidth, of the engine alone") { model, threads, prefill, decode, batches, quantization };
        engine.SetAction((parse, cancellationToken) => LoadFailures.ReportAsync(async () =>
        {
            var batchSizes = parse.GetValue(batches)!;
            var prefillTokens = parse.GetValue(prefill);
            var decodeTokens = parse.GetValue(decode);
            var options = new EngineOptions
            {
                Threads = parse.GetValue(threads),
                MaxBatchSize = Math.Max(2, batchSizes.Max()),
                MaxNumTokens = Math.Max(prefillTokens, 64) * 2,
                KvCacheMemoryBytes = 1L << 30,
                MaxSeqLen = null,
                Quantization = parse.GetValue(quantization),
            };
            await using var local = await LocalModel.LoadAsync(parse.GetValue(model)!, options, cancellationToken: cancellationToken);
            var c = local.Config;
            Console.WriteLine($"model: {local.Directory}");
            Console.WriteLine($"shape: {c.NumLayers} layers, hidden {c.HiddenSize}, {c.NumHeads} heads / {c.NumKvHeads} KV heads, intermediate {c.IntermediateSize}, vocab {c.VocabSize}, weights {c.TorchDtype}, {local.Engine.WeightBytesPerStep / 1e9:F2} GB read per step");
            Console.WriteLine($"machine: {Environment.ProcessorCount} processors, {local.Engine.ThreadCount} compute threads, .NET {Environment.Version}");
            var rows = await EngineBenchmark.RunAsync(local.Engine, prefillTokens, decodeTokens, batchSizes, p => Console.Error.WriteLine($"  {p}..."));
            Console.WriteLine($"{"measurement",-24} {"tokens",8} {"seconds",9} {"tok/s",10} {"weight GB/s",12}");
            foreach (var r in rows)
            {
                Console.WriteLine($"{r.Name,-24} {r.Tokens,8} {r.Seconds,9:F3} {r.TokensPerSecond,10:F1} {(r.WeightGigabytesPerSecond is { } g ? g.ToString("F1") : "-"),12}");
            }

            var single = rows.FirstOrDefault(r => r.Batch == 1 && r.Name.StartsWith("decode", StringComparison.Ordinal));
            foreach (var r in rows.Where(r => r.Batch > 1 && single is not null))
            {
                Console.WriteLine($"decode batch {r.Batch} / batch 1: {r.TokensPerSecond / single!.TokensPerSecond:F2}x");
            }

            return 0;
        }));
        return new Command("bench", "Benchmarks") { engine, BenchServeCommand.Create() };
    }
}
