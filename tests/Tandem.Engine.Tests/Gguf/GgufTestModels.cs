using Tandem.Engine.Execution;
using Tandem.Engine.Gguf;
using Tandem.Engine.Kernels;
using Tandem.Engine.KvCache;
using Tandem.Engine.Modeling;
using Tandem.Engine.Models;
using Tandem.Engine.Tests.Execution;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Gguf;

/// <summary>The shared GGUF files, and engines and single forward steps over them.</summary>
internal static class GgufTestModels
{
    public static string Stories(string type) => SharedData.Require("models", "stories260K-gguf", $"stories260K-{type}.gguf");

    public static EngineHarness Open(string path)
    {
        var (config, weights) = GgufModel.Load(path);
        var engine = new InferenceEngine(
            config,
            weights,
            new EngineOptions { KvCacheMemoryBytes = 16L << 20, MaxBatchSize = 16, Threads = 2, MaxSeqLen = 256 },
            "gguf:" + Path.GetFileName(path));
        return new EngineHarness(engine, weights);
    }

    /// <summary>The logits after one forward pass over <paramref name="prompt"/>.</summary>
    public static float[] FirstStepLogits(ModelConfig config, LlamaWeights weights, int[] prompt)
    {
        using var threads = new KernelThreads(2);
        var layout = new KvCacheLayout("logits", config.NumLayers, config.NumKvHeads, config.HeadDim, 16);
        using var cache = new PagedKvCache(layout, 4);
        var blocks = new List<int>();
        Assert.True(cache.Pool.TryAllocate(layout.BlocksFor(prompt.Length), blocks));
        var model = new LlamaModel(config, weights, threads, maxTokens: 16, maxSequences: 1, maxPositions: 64);
        var batch = new ForwardBatch(16, 1);
        batch.AddSequence(blocks, prompt, 0, wantLogits: true);
        var logits = new float[config.VocabSize];
        model.Forward(batch, cache, logits);
        return logits;
    }
}
