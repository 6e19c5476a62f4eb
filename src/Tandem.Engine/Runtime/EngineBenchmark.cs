using System.Diagnostics;
using Tandem.Engine.Execution;
using Tandem.Engine.Sampling;

namespace Tandem.Engine.Runtime;

/// <summary>
/// Measures an engine directly (no HTTP): prefill of one long prompt per requested length, and
/// decode at several batch sizes. Decode rates count only tokens after every request of the batch
/// has its first token, so they are steady-state figures; each request of a decode run starts from a
/// prompt of <c>decodeContext</c> tokens. Greedy sampling with ignore_eos keeps every run the same length.
/// </summary>
public static class EngineBenchmark
{
    /// <summary>Runs the measurements and returns <paramref name="report"/> with them (derived figures from its bytes, parameters and limits).</summary>
    public static async Task<BenchmarkReport> RunAsync(InferenceEngine engine, BenchmarkReport report, IReadOnlyList<int> prefillTokens, int decodeTokens, IReadOnlyList<int> batchSizes, int decodeContext = 16, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(prefillTokens);
        ArgumentNullException.ThrowIfNull(batchSizes);
        var rows = new List<BenchmarkMeasurement>();

        progress?.Invoke("warming up");
        await RunBatchAsync(engine, 1, 32, 16, "warmup-a").ConfigureAwait(false);
        await RunBatchAsync(engine, 2, Math.Min(prefillTokens.Min(), 64), 4, "warmup-b").ConfigureAwait(false);

        foreach (var tokens in prefillTokens)
        {
            progress?.Invoke($"prefill of {tokens} tokens");
            var prefill = await RunBatchAsync(engine, 1, tokens, 1, $"prefill-{tokens}").ConfigureAwait(false);
            rows.Add(report.Measure(BenchmarkMeasurement.Prefill, 1, tokens, tokens, prefill.FirstTokenSeconds));
        }

        foreach (var batch in batchSizes)
        {
            progress?.Invoke($"decode at batch {batch}" + (decodeContext == 16 ? "" : $" after {decodeContext}-token prompts"));
            var run = await RunBatchAsync(engine, batch, decodeContext, decodeTokens, $"decode-{batch}").ConfigureAwait(false);
            rows.Add(report.Measure(BenchmarkMeasurement.Decode, batch, decodeContext, run.SteadyTokens, run.SteadySeconds));
        }

        return report with { Measurements = rows };
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
