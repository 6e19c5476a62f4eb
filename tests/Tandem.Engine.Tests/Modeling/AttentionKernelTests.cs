using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Tandem.Engine.Kernels;
using Tandem.Engine.KvCache;
using Tandem.Engine.Modeling;
using Tandem.Engine.Models;

namespace Tandem.Engine.Tests.Modeling;

/// <summary>
/// The tiled kernel against <see cref="ScalarAttention"/>, bit for bit, whatever the tile a query
/// lands in: many head sizes and GQA group sizes, positions 0..300 over blocks out of order, tokens
/// batched whole, in chunks, or one at a time, on 1 to 3 threads.
/// </summary>
public class AttentionKernelTests
{
    private const int Positions = 301;

    public static TheoryData<int, int, int, int, KvCacheDType> Shapes => new()
    {
        // head size, KV heads, group size, tokens per block, what the cache stores
        { 8, 4, 2, 32, KvCacheDType.Float32 },    // stories260K
        { 8, 4, 2, 32, KvCacheDType.BFloat16 },
        { 12, 2, 3, 16, KvCacheDType.Float32 },   // the tiny GQA test model
        { 12, 2, 3, 16, KvCacheDType.BFloat16 },
        { 16, 2, 4, 7, KvCacheDType.Float32 },
        { 16, 1, 5, 16, KvCacheDType.BFloat16 },
        { 24, 1, 6, 5, KvCacheDType.Float32 },
        { 24, 1, 6, 5, KvCacheDType.BFloat16 },
        { 32, 2, 8, 32, KvCacheDType.Float32 },
        { 64, 4, 8, 32, KvCacheDType.Float32 },   // TinyLlama-1.1B
        { 64, 4, 8, 32, KvCacheDType.BFloat16 },
        { 64, 1, 1, 13, KvCacheDType.Float32 },
        { 64, 2, 7, 32, KvCacheDType.BFloat16 },
        { 80, 1, 3, 9, KvCacheDType.Float32 },
        { 80, 1, 3, 9, KvCacheDType.BFloat16 },
        { 128, 1, 4, 16, KvCacheDType.Float32 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Tiled_kernel_equals_the_scalar_reference_for_every_batching(int headDim, int kvHeads, int group, int tokensPerBlock, KvCacheDType dtype)
    {
        var config = Config(headDim, kvHeads, group);
        var layout = new KvCacheLayout("test", 2, kvHeads, headDim, tokensPerBlock, KvCacheDTypes.Name(dtype));
        var blocksA = layout.BlocksFor(Positions);
        var blocksB = layout.BlocksFor(120);
        using var cache = new PagedKvCache(layout, blocksA + blocksB);
        var order = Enumerable.Range(0, blocksA + blocksB).OrderBy(b => (b * 7919) % 97).ToArray();
        int[] tableA = [.. order.Take(blocksA)];
        int[] tableB = [.. order.Skip(blocksA)];
        var random = new Random(headDim + (31 * group) + tokensPerBlock);
        var row = new float[layout.TokenStride];
        foreach (var (table, length) in new[] { (tableA, Positions), (tableB, 120) })
        {
            for (var p = 0; p < length; p++)
            {
                for (var layer = 0; layer < 2; layer++)
                {
                    Fill(row, random, 2f);
                    cache.Write(table, layer, p, value: false, row);
                    Fill(row, random, 1f);
                    cache.Write(table, layer, p, value: true, row);
                }
            }
        }

        var width = config.NumHeads * headDim;
        var queriesA = new float[Positions * width];
        var queriesB = new float[120 * width];
        Fill(queriesA, random, 2f);
        Fill(queriesB, random, 2f);
        var expectedA = new float[Positions][];
        for (var p = 0; p < Positions; p++)
        {
            expectedA[p] = Expected(cache, tableA, queriesA, p, config);
        }

        // Both tile paths (512-bit, emulated by .NET where the CPU lacks it, and AVX2): the same bits. The switch is
        // process-wide, so tests running beside this one may take either path meanwhile: same bits, other speed.
        var native = AttentionTiles.UseVector256;
        bool[] paths = Avx2.IsSupported && Fma.IsSupported ? [false, true] : [false];
        try
        {
            foreach (var use256 in paths)
            {
                AttentionTiles.UseVector256 = use256;
                RunEveryBatching(cache, tableA, tableB, queriesA, queriesB, expectedA, config, width);
            }
        }
        finally
        {
            AttentionTiles.UseVector256 = native;
        }
    }

    private static void RunEveryBatching(PagedKvCache cache, int[] tableA, int[] tableB, float[] queriesA, float[] queriesB, float[][] expectedA, ModelConfig config, int width)
    {
        // Whole prompt in one batch with another sequence's middle; chunks; single decode steps.
        foreach (var threads in new[] { 1, 2, 3 })
        {
            using var kernelThreads = new KernelThreads(threads);
            var kernel = new AttentionKernel(config, kernelThreads, Positions);
            foreach (var chunk in new[] { Positions, 37, 4, 1 })
            {
                if (chunk < 37 && threads != 2)
                {
                    continue;
                }

                for (var first = 0; first < Positions; first += chunk)
                {
                    var count = Math.Min(chunk, Positions - first);
                    var batch = new ForwardBatch(count + 50, 2);
                    var q = new float[(count + 50) * width];
                    var b = first % 70;
                    batch.AddSequence(tableB, new int[50], b, wantLogits: false);
                    queriesB.AsSpan(b * width, 50 * width).CopyTo(q);
                    batch.AddSequence(tableA, new int[count], first, wantLogits: true);
                    queriesA.AsSpan(first * width, count * width).CopyTo(q.AsSpan(50 * width));
                    var output = new float[q.Length];
                    kernel.Run(batch, cache, 1, q, output);
                    for (var i = 0; i < count; i++)
                    {
                        Assert.Equal(Bits(expectedA[first + i]), Bits(output.AsSpan((50 + i) * width, width)));
                    }

                    if (first == 0)
                    {
                        for (var i = 0; i < 50; i += 7)
                        {
                            Assert.Equal(Bits(Expected(cache, tableB, queriesB, b + i, config)), Bits(output.AsSpan(i * width, width)));
                        }
                    }
                }
            }
        }
    }

    private static float[] Expected(PagedKvCache cache, int[] table, float[] queries, int position, ModelConfig config)
    {
        var d = config.HeadDim;
        var group = config.NumHeads / config.NumKvHeads;
        var expected = new float[config.NumHeads * d];
        for (var h = 0; h < config.NumHeads; h++)
        {
            var q = queries.AsSpan(((position * config.NumHeads) + h) * d, d);
            ScalarAttention.Compute(cache, table, 1, q, h / group, position + 1).CopyTo(expected, h * d);
        }

        return expected;
    }

    private static int[] Bits(ReadOnlySpan<float> values) => [.. MemoryMarshal.Cast<float, int>(values)];

    private static void Fill(Span<float> values, Random random, float range)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1) * range;
        }
    }

    private static ModelConfig Config(int headDim, int kvHeads, int group) => new()
    {
        Architecture = "LlamaForCausalLM",
        HiddenSize = headDim * kvHeads * group,
        NumLayers = 2,
        NumHeads = kvHeads * group,
        NumKvHeads = kvHeads,
        HeadDim = headDim,
        IntermediateSize = 16,
        VocabSize = 16,
        RmsNormEps = 1e-5f,
        RopeTheta = 10000,
        TieWordEmbeddings = false,
        MaxPositionEmbeddings = Positions,
    };
}
