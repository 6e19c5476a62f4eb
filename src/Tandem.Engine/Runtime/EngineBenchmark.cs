using System.Diagnostics;
using Tandem.Engine.Execution;
using Tandem.Engine.Sampling;

namespace Tandem.Engine.Runtime;

/// <summary>One measured line of <see cref="EngineBenchmark"/>.</summary>
public sealed record BenchmarkRow(string Name, int Batch, long Tokens, double Seconds, double TokensPerSecond, double? WeightGigabytesPerSecond);

/// <summary>
/// Measures an engine directly (no HTTP): prefill of one long prompt, and decode at several batch
/// sizes. Decode rates count only tokens after every request of the batch has its first token, so
/// they are steady-state figures. Greedy sampling with ignore_eos keeps every run the same length.
/// </summary>
public static class EngineBenchmark
{
    public static async Task<IReadOnlyList<BenchmarkRow>> RunAsync(InferenceEngine engine, int prefillTokens, int decodeTokens, IReadOnlyList<int> batchSizes, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(batchSizes);
        var rows = new List<BenchmarkRow>();

        progress?.Invoke("warming up");
        await RunBatchAsync(engine, 1, 32, 16, "warmup-a").ConfigureAwait(false);
        await RunBatchAsync(engine, 2, Math.Min(prefillTokens, 64), 4, "warmup-b").ConfigureAwait(false);

        progress?.Invoke($"prefill of {prefillTokens} tokens");
        var prefill = await RunBatchAsync(engine, 1, prefillTokens, 1, "prefill").ConfigureAwait(false);
        rows.Add(new BenchmarkRow($"prefill {prefillTokens} tokens", 1, prefillTokens, prefill.FirstTokenSeconds, prefillTokens / prefill.FirstTokenSeconds, null));

        foreach (var batch in batchSizes)
        {
            progress?.Invoke($"decode at batch {batch}");
            var run = await RunBatchAsync(engine, batch, 16, decodeTokens, $"decode-{batch}").ConfigureAwait(false);
            var rate = run.SteadyTokens / run.SteadySeconds;
            var stepsPerSecond = rate / batch;
            rows.Add(new BenchmarkRow($"decode batch {batch}", batch, run.SteadyTokens, run.SteadySeconds, rate, engine.WeightBytesPerStep * stepsPerSecond / 1e9));
        }

        return rows;
    }

    private static async Task<BatchRun> RunBatchAsync(InferenceEngine engine, int batch, int promptTokens, int maxTokens, string name)
    {
        var start = Stopwatch.GetTimestamp();
        var readers = new Task<long[]>[batch];
        for (var b = 0; b < batch; b++)
        {
            var prompt = new int[promptTokens];
            for (var i = 0; i < promptTokens; i++)
            {
                prompt[i] = 3 + (int)((((uint)i * 2654435761u) + ((uint)b * 40503u)) % (uint)(engine.Config.VocabSize - 3));
            }

            var submitted = engine.Submit(new EngineRequest
            {
                Id = $"bench-{name}-{b}",
                PromptTokens = prompt,
                MaxTokens = maxTokens,
                IgnoreEos = true,
                Sampling = new SamplingParams { Temperature = 0 },
            });
            if (!submitted.Accepted)
            {
                throw new InvalidOperationException($"benchmark request refused: {submitted.Message}");
            }

            readers[b] = CollectAsync(submitted.Handle!);
        }

        var times = await Task.WhenAll(readers).ConfigureAwait(false);
        var firstAll = times.Max(t => t[0]);
        var last = times.Max(t => t[^1]);
        var steady = times.Sum(t => t.Count(x => x > firstAll));
        return new BatchRun(
            Stopwatch.GetElapsedTime(start, times.Min(t => t[0])).TotalSeconds,
            steady,
            Stopwatch.GetElapsedTime(firstAll, last).TotalSeconds);
    }

    private static async Task<long[]> CollectAsync(RequestHandle handle)
    {
        var times = new List<long>();
        await foreach (var e in handle.Events.ReadAllAsync().ConfigureAwait(false))
        {
            if (e.IsFinal)
            {
                if (e.Finish is not (FinishReason.Length or FinishReason.Stop))
                {
                    throw new InvalidOperationException($"benchmark request ended with {e.Finish}: {e.Message}");
                }

                break;
            }

            times.Add(Stopwatch.GetTimestamp());
        }

        return [.. times];
    }

    private readonly record struct BatchRun(double FirstTokenSeconds, long SteadyTokens, double SteadySeconds);
}
