using Tandem.Engine.Execution;
using Tandem.Engine.Models;
using Tandem.Engine.Runtime;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Execution;

/// <summary>Models the engine tests run on: the real stories260K, and a generated model with grouped-query attention and odd sizes.</summary>
internal static class TestModels
{
    private static readonly Lazy<string> TinyDirectory = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), $"tandem-tiny-gqa-{Environment.ProcessId}");
        RandomCheckpoint.Write(
            new RandomCheckpointOptions
            {
                Preset = RandomCheckpointPresets.Tiny,
                Layers = 3,
                Hidden = 72,
                Heads = 6,
                KvHeads = 2,
                HeadDim = 12,
                Intermediate = 190,
                Vocab = 301,
                DType = DType.F32,
                Seed = 7,
            },
            dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(dir, recursive: true);
        return dir;
    });

    public static string Stories => SharedData.Require("models", "stories260K");

    public static string StoriesBf16 => SharedData.Require("models", "stories260K-bf16");

    /// <summary>3 layers, hidden 72, 6 query heads over 2 KV heads of size 12, intermediate 190, vocab 301, F32.</summary>
    public static string TinyGqa => TinyDirectory.Value;

    /// <summary>An engine on the model; <paramref name="amxTiles"/>: BF16 matrices that fit on AMX tiles, as a server loads them.</summary>
    // rowGroups: copy the float matrices as LocalModel does (ResidentCopy: into row groups on AVX-512).
    public static EngineHarness Open(string directory, EngineOptions? options = null, TimeProvider? time = null, bool amxTiles = false, bool rowGroups = false)
    {
        var config = ModelConfigLoader.Load(directory);
        var weights = LlamaWeightsLoader.Load(directory, config);
        if (amxTiles)
        {
            (weights, _) = AmxPlacement.Apply(weights);
        }

        if (rowGroups)
        {
            (weights, _) = ResidentCopy.Apply(weights);
        }

        var engine = new InferenceEngine(
            config,
            weights,
            options ?? new EngineOptions { KvCacheMemoryBytes = 16L << 20, MaxBatchSize = 16, Threads = 2 },
            ModelFingerprint.Compute(directory),
            timeProvider: time);
        return new EngineHarness(engine, weights);
    }
}
