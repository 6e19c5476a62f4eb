using BenchmarkDotNet.Attributes;
using Tandem.Engine.Kernels;
using Tandem.Engine.KvCache;
using Tandem.Engine.Modeling;
using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Bench.Decode;

/// <summary>
/// One decode step (every sequence feeds one token at position <see cref="Context"/>) of a generated
/// Llama model, through <see cref="LlamaModel.Forward"/>. MemoryDiagnoser's "Allocated" column shows
/// that a step allocates nothing; the time is that of the forward pass alone (no scheduling or sampling).
/// </summary>
[MemoryDiagnoser]
public class DecodeStepBenchmark : IDisposable
{
    private const int Context = 96;
    private string _directory = string.Empty;
    private LlamaWeights? _weights;
    private KernelThreads? _threads;
    private PagedKvCache? _cache;
    private LlamaModel? _model;
    private ForwardBatch? _batch;
    private List<int>[] _blocks = [];
    private float[] _logits = [];
    private int[][] _tokens = [];

    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), $"tandem-bench-decode-{Environment.ProcessId}");
        RandomCheckpoint.Write(
            new RandomCheckpointOptions { Preset = RandomCheckpointPresets.Tiny, Layers = 4, Hidden = 256, Heads = 8, KvHeads = 4, HeadDim = 32, Intermediate = 704, Vocab = 2048, DType = DType.BF16, Seed = 1 },
            _directory);
        var config = ModelConfigLoader.Load(_directory);
        _weights = LlamaWeightsLoader.Load(_directory, config);
        _threads = new KernelThreads(Math.Min(2, Environment.ProcessorCount));
        var layout = new KvCacheLayout("bench", config.NumLayers, config.NumKvHeads, config.HeadDim, 16);
        _cache = new PagedKvCache(layout, Batch * layout.BlocksFor(Context + 1));
        _model = new LlamaModel(config, _weights, _threads, maxTokens: Batch, maxSequences: Batch, maxPositions: Context + 1);
        _batch = new ForwardBatch(Batch, Batch);
        _logits = new float[Batch * config.VocabSize];
        _blocks = new List<int>[Batch];
        _tokens = new int[Batch][];
        for (var s = 0; s < Batch; s++)
        {
            _blocks[s] = [];
            if (!_cache.Pool.TryAllocate(layout.BlocksFor(Context + 1), _blocks[s]))
            {
                throw new InvalidOperationException("the KV cache is too small");
            }

            _tokens[s] = [(s * 31) + 5];
        }
    }

    [Benchmark]
    public void DecodeStep()
    {
        // The same position every time: each step overwrites the KV it wrote the time before.
        _batch!.Clear();
        for (var s = 0; s < Batch; s++)
        {
            _batch.AddSequence(_blocks[s], _tokens[s], Context, wantLogits: true);
        }

        _model!.Forward(_batch, _cache!, _logits);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _cache?.Dispose();
        _threads?.Dispose();
        _weights?.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }
}
