using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Native;
using Tandem.Engine.Gguf;
using Tandem.Engine.Runtime;

namespace Tandem.Bench.LlamaSharp;

/// <summary>
/// The same measurements as <c>tandem bench engine</c>, with llama.cpp through LLamaSharp's native
/// batch API. Prefill: one <c>llama_decode</c> of the whole prompt (batch and ubatch hold it), logits
/// for its last token only. Decode at batch b: b sequences with a 16-token prompt each, then steps
/// of one token per sequence, all b in one batch (distinct sequence ids), each the argmax of that
/// sequence's last logits; only those steps are timed. Prompts are pseudo-random token ids.
/// </summary>
internal static class LlamaBenchmark
{
    private const int DecodePrompt = 16;

    public static void ConfigureNative(bool verbose)
    {
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (verbose || level == LLamaLogLevel.Error)
            {
                Console.Error.Write(message);
            }
        });
    }

    public static int Run(Arguments a)
    {
        var path = a.Required(0, "MODEL.gguf");
        var threads = a.Int("--threads", Environment.ProcessorCount);
        var prefillTokens = a.Ints("--prefill-tokens", [128, 1024]);
        var batches = a.Ints("--batch", [1, 8, 32]);
        var decodeTokens = a.Int("--decode-tokens", 64);
        ConfigureNative(a.Flag("--verbose"));

        var header = Header(path, threads, a.Double("--bandwidth-gbps"), a.Double("--peak-gflops"));
        var batchTokens = Math.Max(prefillTokens.Max(), batches.Max() * DecodePrompt);
        var contextSize = Math.Max(prefillTokens.Max() + 16, batches.Max() * (DecodePrompt + decodeTokens + 1));
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)((contextSize + 255) / 256 * 256),
            BatchSize = (uint)batchTokens,
            UBatchSize = (uint)batchTokens,
            SeqMax = (uint)batches.Max(),
            KVUnified = true,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        Console.WriteLine($"model: {path}");
        Console.WriteLine($"shape: {header.Shape}, {header.Format}, {header.WeightBytesPerStep / 1e9:F2} GB read per step");
        Console.WriteLine($"machine: {Environment.ProcessorCount} processors, {threads} llama.cpp threads, LLamaSharp {typeof(LLamaWeights).Assembly.GetName().Version}");

        var vocab = header.Shape.Vocab;
        Console.Error.WriteLine("  warming up...");
        Prefill(context, 32, vocab);
        DecodeBatch(context, 2, 4, vocab);

        var rows = new List<BenchmarkMeasurement>();
        foreach (var tokens in prefillTokens)
        {
            Console.Error.WriteLine($"  prefill of {tokens} tokens...");
            rows.Add(header.Measure(BenchmarkMeasurement.Prefill, 1, tokens, tokens, Prefill(context, tokens, vocab)));
        }

        foreach (var batch in batches)
        {
            Console.Error.WriteLine($"  decode at batch {batch}...");
            rows.Add(header.Measure(BenchmarkMeasurement.Decode, batch, DecodePrompt, (long)batch * decodeTokens, DecodeBatch(context, batch, decodeTokens, vocab)));
        }

        var report = header with { Measurements = rows };
        Console.WriteLine($"{"measurement",-24} {"tokens",8} {"seconds",9} {"tok/s",10} {"weight GB/s",12} {"GFLOP/s",9} {"% limit",8}");
        foreach (var r in rows)
        {
            var limit = r.PercentOfBandwidth ?? r.PercentOfPeak;
            Console.WriteLine($"{r.Name,-24} {r.Tokens,8} {r.Seconds,9:F3} {r.TokensPerSecond,10:F1} {r.WeightGBps?.ToString("F1") ?? "-",12} {r.Gflops?.ToString("F1") ?? "-",9} {(limit is { } l ? l.ToString("F1") + "%" : "-"),8}");
        }

        if (a.Text("--json") is { } json)
        {
            report.WriteJson(json);
            Console.WriteLine($"wrote {json}");
        }

        return 0;
    }

    /// <summary>Shape and bytes from the GGUF header: matrix bytes a step reads are every 2-D tensor but the embedding (unless it is also the LM head).</summary>
    private static BenchmarkReport Header(string path, int threads, double? bandwidth, double? peak)
    {
        using var file = GgufFile.Open(path);
        var config = GgufModelConfig.Read(file);
        var matrices = file.Tensors.Values.Where(t => t.Dimensions.Count == 2 && (t.Name != "token_embd.weight" || config.TieWordEmbeddings)).ToList();
        var types = matrices.GroupBy(t => t.Type).OrderByDescending(g => g.Count()).Select(g => g.Key.ToString());
        return new BenchmarkReport
        {
            Engine = "llamasharp",
            Model = path,
            Format = "gguf " + string.Join("+", types),
            Shape = BenchmarkShape.Of(config),
            WeightBytesPerStep = matrices.Sum(t => t.ByteCount),
            MatmulParameters = BenchmarkReport.CountMatmulParameters(config),
            Threads = threads,
            BandwidthGBps = bandwidth,
            PeakGflops = peak,
            Measurements = [],
        };
    }

    private static double Prefill(LLamaContext context, int tokens, int vocab)
    {
        context.NativeHandle.MemoryClear(true);
        var batch = new LLamaBatch();
        for (var i = 0; i < tokens; i++)
        {
            batch.Add(TokenAt(i, 0, vocab), i, (LLamaSeqId)0, i == tokens - 1);
        }

        var start = Stopwatch.GetTimestamp();
        Decode(context, batch);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Seconds of the <paramref name="steps"/> decode steps of <paramref name="sequences"/> sequences together.</summary>
    private static double DecodeBatch(LLamaContext context, int sequences, int steps, int vocab)
    {
        context.NativeHandle.MemoryClear(true);
        var batch = new LLamaBatch();
        var logitIndex = new int[sequences];
        for (var s = 0; s < sequences; s++)
        {
            for (var i = 0; i < DecodePrompt; i++)
            {
                var index = batch.Add(TokenAt(i, s, vocab), i, (LLamaSeqId)s, i == DecodePrompt - 1);
                if (i == DecodePrompt - 1)
                {
                    logitIndex[s] = index;
                }
            }
        }

        Decode(context, batch);
        var start = Stopwatch.GetTimestamp();
        for (var step = 0; step < steps; step++)
        {
            var next = new int[sequences];
            for (var s = 0; s < sequences; s++)
            {
                next[s] = ArgMax(context.NativeHandle.GetLogitsIth(logitIndex[s]));
            }

            batch.Clear();
            for (var s = 0; s < sequences; s++)
            {
                logitIndex[s] = batch.Add(next[s], DecodePrompt + step, (LLamaSeqId)s, true);
            }

            Decode(context, batch);
        }

        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static void Decode(LLamaContext context, LLamaBatch batch)
    {
        var result = context.Decode(batch);
        if (result != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"llama_decode of {batch.TokenCount} tokens failed: {result}");
        }

        context.NativeHandle.Synchronize();
    }

    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>The same pseudo-random ids as Tandem's benchmark: never 0..2 (unk, bos, eos).</summary>
    private static LLamaToken TokenAt(int i, int sequence, int vocab) =>
        3 + (int)((((uint)i * 2654435761u) + ((uint)sequence * 40503u)) % (uint)(vocab - 3));
}
