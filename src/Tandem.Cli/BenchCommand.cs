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
        var prefill = IntList("--prefill-tokens", "Prompt lengths of the prefill measurements, e.g. 128,1024", [512]);
        var decode = Options.Named<int>("--decode-tokens", "Tokens generated per request in the decode measurements", 64);
        var decodeContext = Options.Named<int>("--decode-context", "Prompt tokens of each request before its decode measurement: the context every decoded token attends to", 16);
        var quantization = Options.Quantization();
        var kvDType = Options.KvCacheDType();
        var batches = IntList("--batch", "Decode batch sizes, e.g. 1,8,32", [1, 16]);
        var tokenizer = Options.Named<string?>("--tokenizer", "Tokenizer directory (default: the model's own; a GGUF file's from its metadata)", null);
        var json = Options.Named<string?>("--json", "Also write every result (shape, weight bytes per step, threads, each measurement) to this JSON file", null);
        var bandwidth = Options.Named<double?>("--bandwidth-gbps", "Memory bandwidth limit: decode's weight GB/s is also shown as a percentage of it", null);
        var peak = Options.Named<double?>("--peak-gflops", "Compute limit: prefill's GFLOP/s (2 x matmul parameters x tokens/s) is also shown as a percentage of it", null);

        var engine = new Command("engine", "Prefill and decode tokens per second, and weight bandwidth, of the engine alone") { model, threads, prefill, decode, batches, tokenizer, json, bandwidth, peak, quantization, kvDType, decodeContext };
        engine.SetAction((parse, cancellationToken) => LoadFailures.ReportAsync(async () =>
        {
            var batchSizes = parse.GetValue(batches)!;
            var prefillTokens = parse.GetValue(prefill)!;
            var decodeTokens = parse.GetValue(decode);
            var context = parse.GetValue(decodeContext);
            if (context < 1 || decodeTokens < 1 || prefillTokens.Any(t => t < 1) || batchSizes.Any(b => b < 1))
            {
                throw new ArgumentException("--prefill-tokens, --decode-tokens, --decode-context and --batch take positive numbers");
            }

            // The cache holds what the largest run needs (allocated lazily: pages are taken as they are written).
            var maxBatch = Math.Max(2, batchSizes.Max());
            var options = new EngineOptions
            {
                Threads = parse.GetValue(threads),
                MaxBatchSize = maxBatch,
                MaxNumTokens = Math.Max(Math.Max(prefillTokens.Max(), context), 64) * 2,
                FreeMemoryFraction = 0.9,
                MaxKvTokens = (long)maxBatch * (Math.Max(Math.Max(prefillTokens.Max(), context), 64) + decodeTokens + 64),
                MaxSeqLen = null,
                Quantization = parse.GetValue(quantization),
                KvCacheDType = parse.GetValue(kvDType),
            };
            await using var local = await LocalModel.LoadAsync(parse.GetValue(model)!, options, tokenizerDirectory: parse.GetValue(tokenizer), cancellationToken: cancellationToken);
            var c = local.Config;
            Console.WriteLine($"model: {local.Directory}");
            Console.WriteLine($"shape: {c.NumLayers} layers, hidden {c.HiddenSize}, {c.NumHeads} heads / {c.NumKvHeads} KV heads, intermediate {c.IntermediateSize}, vocab {c.VocabSize}, weights {local.Engine.WeightTypes}, {local.Engine.WeightBytesPerStep / 1e9:F2} GB read per step");
            Console.WriteLine($"machine: {Environment.ProcessorCount} processors, {local.Engine.ThreadCount} compute threads, .NET {Environment.Version}");
            if (local.MatrixUnitsNote is { } units)
            {
                Console.WriteLine($"matrix units: {units}");
            }

            var modelPath = parse.GetValue(model)!;
            var header = new BenchmarkReport
            {
                Engine = "tandem",
                Model = modelPath,
                Format = (modelPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? "gguf " : string.Empty) + local.Engine.WeightTypes,
                Shape = BenchmarkShape.Of(c),
                WeightBytesPerStep = local.Engine.WeightBytesPerStep,
                MatmulParameters = BenchmarkReport.CountMatmulParameters(c),
                Threads = local.Engine.ThreadCount,
                BandwidthGBps = parse.GetValue(bandwidth),
                PeakGflops = parse.GetValue(peak),
                Measurements = [],
            };
            var report = await EngineBenchmark.RunAsync(local.Engine, header, prefillTokens, decodeTokens, batchSizes, context, p => Console.Error.WriteLine($"  {p}..."));
            Print(report);
            if (parse.GetValue(json) is { } jsonPath)
            {
                report.WriteJson(jsonPath);
                Console.WriteLine($"wrote {jsonPath}");
            }

            return 0;
        }));
        return new Command("bench", "Benchmarks") { engine, BenchServeCommand.Create() };
    }

    /// <summary>The measurement table; "% limit" is decode's share of --bandwidth-gbps and prefill's of --peak-gflops.</summary>
    internal static void Print(BenchmarkReport report)
    {
        Console.WriteLine($"{"measurement",-24} {"tokens",8} {"seconds",9} {"tok/s",10} {"weight GB/s",12} {"GFLOP/s",9} {"% limit",8}");
        foreach (var r in report.Measurements)
        {
            var limit = r.PercentOfBandwidth ?? r.PercentOfPeak;
            Console.WriteLine($"{r.Name,-24} {r.Tokens,8} {r.Seconds,9:F3} {r.TokensPerSecond,10:F1} {Figure(r.WeightGBps),12} {Figure(r.Gflops),9} {(limit is { } l ? l.ToString("F1") + "%" : "-"),8}");
        }

        var single = report.Measurements.FirstOrDefault(r => r.Kind == BenchmarkMeasurement.Decode && r.Batch == 1);
        foreach (var r in report.Measurements.Where(r => r.Kind == BenchmarkMeasurement.Decode && r.Batch > 1 && single is not null))
        {
            Console.WriteLine($"decode batch {r.Batch} / batch 1: {r.TokensPerSecond / single!.TokensPerSecond:F2}x");
        }
    }

    private static string Figure(double? value) => value is { } v ? v.ToString("F1") : "-";

    /// <summary>An integer list option: comma-separated ("1,8,32"), space-separated, or repeated.</summary>
    private static Option<int[]> IntList(string name, string description, int[] defaultValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        AllowMultipleArgumentsPerToken = true,
        CustomParser = result =>
        {
            var values = new List<int>();
            foreach (var part in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            {
                if (!int.TryParse(part, out var value) || value <= 0)
                {
                    result.AddError($"{name}: '{part}' is not a positive integer");
                    return [];
                }

                values.Add(value);
            }

            return [.. values];
        },
    };
}
