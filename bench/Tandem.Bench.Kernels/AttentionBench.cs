using System.Diagnostics;
using Tandem.Engine.Kernels;
using Tandem.Engine.KvCache;
using Tandem.Engine.Modeling;
using Tandem.Engine.Models;

/// <summary>
/// One layer of <see cref="AttentionKernel"/> on the TinyLlama-1.1B head shape (32 query heads over
/// 4 KV heads of 64): a whole prompt of <c>positions</c> tokens in one step (prefill) and one token
/// after it (decode), with the cache in fp32 or bfloat16. Prints the best of several rounds; ×22 layers gives
/// the per-token cost.
/// </summary>
internal static class AttentionBench
{
    public static void Run(int threadCount, int positions, KvCacheDType dtype)
    {
        var config = RandomCheckpointPresets.Find(RandomCheckpointPresets.TinyLlama)! with { NumLayers = 1, MaxPositionEmbeddings = positions + 1 };
        const int TokensPerBlock = 32;
        var layout = new KvCacheLayout("bench", 1, config.NumKvHeads, config.HeadDim, TokensPerBlock, KvCacheDTypes.Name(dtype));
        using var cache = new PagedKvCache(layout, layout.BlocksFor(positions + 1));
        var table = Enumerable.Range(0, cache.Pool.Total).Reverse().ToArray(); // blocks out of order, as after reuse
        var random = new Random(3);
        var row = new float[layout.TokenStride];
        for (var p = 0; p <= positions; p++)
        {
            foreach (var value in new[] { false, true })
            {
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = (float)(random.NextDouble() - 0.5);
                }

                cache.Write(table, 0, p, value, row);
            }
        }

        var width = config.NumHeads * config.HeadDim;
        var q = new float[positions * width];
        for (var i = 0; i < q.Length; i++)
        {
            q[i] = (float)(random.NextDouble() - 0.5);
        }

        var output = new float[positions * width];
        using var threads = new KernelThreads(threadCount);
        var kernel = new AttentionKernel(config, threads, positions + 1);
        var prompt = new int[positions];
        var prefill = new ForwardBatch(positions, 1);
        prefill.AddSequence(table, prompt, 0, wantLogits: true);
        var decode = new ForwardBatch(1, 1);
        decode.AddSequence(table, [0], positions, wantLogits: true);

        Console.WriteLine($"attention, TinyLlama heads (32 q / 4 kv / 64), {positions} positions, {layout.DType} cache, {threadCount} threads; best of rounds, one layer");
        var prefillMs = Best(() => kernel.Run(prefill, cache, 0, q, output), rounds: 5);
        Console.WriteLine($"prefill {positions} tokens: {prefillMs:F1} ms per layer = {prefillMs * 22 / positions:F3} ms/token over 22 layers");
        var decodeMs = Best(() => kernel.Run(decode, cache, 0, q, output), rounds: 200);
        Console.WriteLine($"decode at position {positions}: {decodeMs * 1e3:F1} us per layer = {decodeMs * 22:F3} ms/token over 22 layers");
    }

    private static double Best(Action run, int rounds)
    {
        run();
        var best = double.MaxValue;
        for (var i = 0; i < rounds; i++)
        {
            var watch = Stopwatch.StartNew();
            run();
            best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
        }

        return best;
    }
}
