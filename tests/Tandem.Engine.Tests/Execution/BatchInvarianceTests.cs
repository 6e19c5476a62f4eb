using Tandem.Engine.Execution;
using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Execution;

/// <summary>DESIGN.md rule 3: at temperature 0 a request's tokens do not depend on its batch, on chunking or on arrival times.</summary>
public class BatchInvarianceTests
{
    /// <summary>The models, read in place or copied as <c>LocalModel</c> does (row groups on AVX-512).</summary>
    public static TheoryData<string, bool> Models => new() { { "stories260K", false }, { "tiny-gqa", false }, { "stories260K", true }, { "tiny-gqa", true } };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Eight_prompts_alone_and_together_give_identical_greedy_tokens(string model, bool rowGroups)
    {
        var directory = model == "stories260K" ? TestModels.Stories : TestModels.TinyGqa;
        var prompts = Prompts(8, directory == TestModels.TinyGqa ? 301 : 512);
        const int MaxTokens = 24;

        List<int>[] alone;
        await using (var single = TestModels.Open(directory, new EngineOptions { KvCacheMemoryBytes = 8L << 20, MaxBatchSize = 1, Threads = 1 }, rowGroups: rowGroups))
        {
            alone = await AloneAsync(single, prompts, MaxTokens);
        }

        // Small max_num_tokens: long prompts are chunked and share steps with others' decoding.
        var options = new EngineOptions { KvCacheMemoryBytes = 8L << 20, MaxBatchSize = 8, MaxNumTokens = 7, Threads = 2 };
        await using var batched = TestModels.Open(directory, options, rowGroups: rowGroups);
        var together = await AssertTogetherAsAloneAsync(batched, prompts, alone, MaxTokens, delayStepMs: 3);
        Assert.All(together, outcome => Assert.Equal(FinishReason.Length, outcome.Finish));
    }

    /// <summary>A 300-token prompt, prefilled one token per step or in chunks of any size, attends to the same keys in the same order.</summary>
    [Fact]
    public async Task Long_prompt_prefilled_in_chunks_or_one_token_at_a_time_gives_identical_greedy_tokens()
    {
        var prompt = new int[300];
        prompt[0] = 1;
        for (var i = 1; i < prompt.Length; i++)
        {
            prompt[i] = 3 + ((i * 104729) % 298);
        }

        const int MaxTokens = 16;
        List<int> stepwise;
        await using (var single = TestModels.Open(TestModels.TinyGqa, new EngineOptions { KvCacheMemoryBytes = 8L << 20, MaxNumTokens = 1, Threads = 1 }))
        {
            stepwise = (await single.GreedyAsync(prompt, MaxTokens)).Tokens;
        }

        Assert.Equal(MaxTokens, stepwise.Count);
        foreach (var (chunk, threads) in new[] { (7, 2), (64, 3), (300, 2), (512, 1) })
        {
            await using var chunked = TestModels.Open(TestModels.TinyGqa, new EngineOptions { KvCacheMemoryBytes = 8L << 20, MaxNumTokens = chunk, TokensPerBlock = 16, Threads = threads });
            Assert.Equal(stepwise, (await chunked.GreedyAsync(prompt, MaxTokens)).Tokens);
        }
    }

    /// <summary>Quantized weights are only other chunk decoders: the same canonical order, so the same invariance.</summary>
    [Theory]
    [InlineData(WeightQuantization.Int8)]
    [InlineData(WeightQuantization.Int4)]
    public async Task Quantized_weights_give_identical_greedy_tokens_alone_and_together(WeightQuantization quantization)
    {
        var prompts = Prompts(6, 320);
        const int MaxTokens = 16;
        List<int>[] alone;
        await using (var single = OpenQuantized(quantization, new EngineOptions { KvCacheMemoryBytes = 8L << 20, MaxBatchSize = 1, Threads = 1 }))
        {
            alone = await AloneAsync(single, prompts, MaxTokens);
        }

        // Steps of at most 7 tokens stay on the AVX-VNNI kernels; steps of up to 64 mix prompt chunks of
        // 8 tokens or more (AMX-INT8 tiles where the CPU has them) with others' decoding. Alone, a whole
        // prompt is one step.
        foreach (var maxNumTokens in (int[])[7, 64])
        {
            await using var batched = OpenQuantized(quantization, new EngineOptions { KvCacheMemoryBytes = 8L << 20, MaxBatchSize = 6, MaxNumTokens = maxNumTokens, Threads = 2 });
            await AssertTogetherAsAloneAsync(batched, prompts, alone, MaxTokens, delayStepMs: 3);
        }
    }

    /// <summary>BF16 weights on AMX tiles: the hardware's order of additions per output is the same whatever the batch.</summary>
    [Fact]
    public async Task Bf16_weights_on_amx_tiles_give_identical_greedy_tokens_alone_and_together()
    {
        AmxTests.RequireAmx();
        var prompts = Prompts(12, 320);
        const int MaxTokens = 16;
        List<int>[] alone;
        await using (var single = OpenOnTiles(new EngineOptions { KvCacheMemoryBytes = 8L << 20, MaxBatchSize = 1, Threads = 1 }))
        {
            alone = await AloneAsync(single, prompts, MaxTokens);
        }

        // 12 requests: steps of 1 to 12 decode tokens plus prompt chunks, so groups of 5 tokens split every way.
        await using var batched = OpenOnTiles(new EngineOptions { KvCacheMemoryBytes = 8L << 20, MaxBatchSize = 12, MaxNumTokens = 23, Threads = 2 });
        await AssertTogetherAsAloneAsync(batched, prompts, alone, MaxTokens, delayStepMs: 2);
    }

    /// <summary>Each prompt's greedy tokens run alone, one after the other.</summary>
    internal static async Task<List<int>[]> AloneAsync(EngineHarness single, int[][] prompts, int maxTokens)
    {
        var alone = new List<int>[prompts.Length];
        for (var i = 0; i < prompts.Length; i++)
        {
            alone[i] = (await single.GreedyAsync(prompts[i], maxTokens)).Tokens;
        }

        return alone;
    }

    /// <summary>
    /// All prompts together, arriving <paramref name="delayStepMs"/> · i ms apart: each gives its tokens
    /// alone, and the block pool is full again afterwards.
    /// </summary>
    internal static async Task<EngineHarness.Outcome[]> AssertTogetherAsAloneAsync(EngineHarness batched, int[][] prompts, List<int>[] alone, int maxTokens, int delayStepMs)
    {
        var runs = new Task<EngineHarness.Outcome>[prompts.Length];
        for (var i = 0; i < prompts.Length; i++)
        {
            runs[i] = batched.RunAsync(EngineHarness.Greedy($"p{i}", prompts[i], maxTokens));
            await Task.Delay(delayStepMs * i, TestContext.Current.CancellationToken);
        }

        var together = await Task.WhenAll(runs);
        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(alone[i], together[i].Tokens);
        }

        await batched.AssertPoolFullAsync();
        return together;
    }

    /// <summary>Prompts of different lengths (1 to 40 tokens) over the vocabulary, BOS first.</summary>
    internal static int[][] Prompts(int count, int vocab)
    {
        var prompts = new int[count][];
        for (var p = 0; p < count; p++)
        {
            var length = 1 + ((p * 13) % 40);
            prompts[p] = new int[length];
            prompts[p][0] = 1;
            for (var i = 1; i < length; i++)
            {
                prompts[p][i] = 3 + (((p * 7919) + (i * 104729)) % (vocab - 3));
            }
        }

        return prompts;
    }

    /// <summary>A generated model whose every matrix has rows of a multiple of 32 (hidden 64, 4 heads of 16 over 2 KV heads, intermediate 96), quantized at load.</summary>
    private static EngineHarness OpenQuantized(WeightQuantization quantization, EngineOptions options)
    {
        var config = ModelConfigLoader.Load(QuantizableDirectory.Value);
        var (weights, _) = LoadTimeQuantizer.Apply(LlamaWeightsLoader.Load(QuantizableDirectory.Value, config), quantization);
        Assert.Equal(quantization.Target(), weights.Layers[0].Down.DType);
        return new EngineHarness(new InferenceEngine(config, weights, options, "quantized-" + quantization.Name()), weights);
    }

    /// <summary>The same shape in BF16, every matrix on AMX tiles.</summary>
    private static EngineHarness OpenOnTiles(EngineOptions options)
    {
        var config = ModelConfigLoader.Load(Bf16Directory.Value);
        var (weights, note) = AmxPlacement.Apply(LlamaWeightsLoader.Load(Bf16Directory.Value, config));
        Assert.True(weights.Layers[0].Down.AmxTiles && weights.LmHead.AmxTiles, note);
        return new EngineHarness(new InferenceEngine(config, weights, options, "bf16-amx"), weights);
    }

    private static readonly Lazy<string> QuantizableDirectory = new(() => Generated("quantizable", DType.F32));

    private static readonly Lazy<string> Bf16Directory = new(() => Generated("bf16-tiles", DType.BF16));

    private static string Generated(string name, DType dtype)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"tandem-{name}-{Environment.ProcessId}");
        RandomCheckpoint.Write(
            new RandomCheckpointOptions
            {
                Preset = RandomCheckpointPresets.Tiny,
                Layers = 2,
                Hidden = 64,
                Heads = 4,
                KvHeads = 2,
                HeadDim = 16,
                Intermediate = 96,
                Vocab = 320,
                DType = dtype,
                Seed = 9,
            },
            dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(dir, recursive: true);
        return dir;
    }
}
