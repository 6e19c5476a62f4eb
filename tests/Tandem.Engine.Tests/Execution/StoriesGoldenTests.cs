using System.Text.Json;
using Tandem.Engine.Execution;
using Tandem.Engine.Kernels;
using Tandem.Engine.KvCache;
using Tandem.Engine.Modeling;
using Tandem.Engine.Models;
using Tandem.Engine.Runtime;
using Tandem.Engine.Sampling;
using Tandem.Engine.Tokenization;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Execution;

/// <summary>stories260K against the outputs of the model's original C implementation.</summary>
public class StoriesGoldenTests
{
    private const string Prompt = "Once upon a time";

    // rowGroups: weights copied as LocalModel does, F32 matrices in row groups on AVX-512, in their order.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Greedy_continuation_reproduces_the_golden_text(bool rowGroups)
    {
        var golden = File.ReadAllText(SharedData.Require("golden", "stories260K-greedy-256.txt"));
        var tokenizer = Tokenizer.Load(TestModels.Stories);
        var prompt = tokenizer.Encode(Prompt);
        var goldenTokens = tokenizer.Encode(golden, addSpecialTokens: false);

        await using var h = TestModels.Open(TestModels.Stories, rowGroups: rowGroups);
        var outcome = await h.RunAsync(new EngineRequest
        {
            Id = "golden",
            PromptTokens = prompt,
            MaxTokens = 256,
            Sampling = new SamplingParams { Temperature = 0 },
        });

        var text = Prompt + tokenizer.Decode([.. outcome.Tokens]);
        Assert.True(goldenTokens.Length > 200, "the golden text should hold about 256 tokens");
        Assert.StartsWith(golden.TrimEnd('\n'), text, StringComparison.Ordinal);
        await h.AssertPoolFullAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void First_step_logits_match_the_reference_within_1e_4(bool rowGroups)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SharedData.Require("golden", "stories260K-greedy-64-with-logits.json")));
        var promptIds = doc.RootElement.GetProperty("prompt_ids_with_bos").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var expected = doc.RootElement.GetProperty("first_step_logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var greedy = doc.RootElement.GetProperty("greedy_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        Assert.Equal(promptIds, Tokenizer.Load(TestModels.Stories).Encode(Prompt));
        var logits = FirstStepLogits(TestModels.Stories, promptIds, rowGroups);
        Assert.Equal(expected.Length, logits.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - logits[i]) <= 1e-4, $"logit {i}: expected {expected[i]}, got {logits[i]}");
        }

        Assert.Equal(greedy[0], Array.IndexOf(logits, logits.Max()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_bf16_copy_gives_the_same_first_32_tokens(bool rowGroups)
    {
        var tokenizer = Tokenizer.Load(TestModels.Stories);
        var prompt = tokenizer.Encode(Prompt);
        await using var f32 = TestModels.Open(TestModels.Stories, rowGroups: rowGroups);
        await using var bf16 = TestModels.Open(TestModels.StoriesBf16, rowGroups: rowGroups);
        var a = await f32.GreedyAsync(prompt, 32);
        var b = await bf16.GreedyAsync(prompt, 32);
        Assert.Equal(a.Tokens, b.Tokens);
    }

    [Fact]
    public async Task The_bf16_copy_on_amx_tiles_gives_the_same_first_32_tokens()
    {
        AmxTests.RequireAmx();
        var tokenizer = Tokenizer.Load(TestModels.Stories);
        var prompt = tokenizer.Encode(Prompt);
        await using var f32 = TestModels.Open(TestModels.Stories);
        await using var tiles = TestModels.Open(TestModels.StoriesBf16, amxTiles: true);
        var a = await f32.GreedyAsync(prompt, 32);
        var b = await tiles.GreedyAsync(prompt, 32);
        Assert.Equal(a.Tokens, b.Tokens);
    }

    private static float[] FirstStepLogits(string directory, int[] prompt, bool rowGroups)
    {
        var config = ModelConfigLoader.Load(directory);
        var loaded = LlamaWeightsLoader.Load(directory, config);
        using var weights = rowGroups ? ResidentCopy.Apply(loaded).Weights : loaded;
        using var threads = new KernelThreads(2);
        var layout = new KvCacheLayout(ModelFingerprint.Compute(directory), config.NumLayers, config.NumKvHeads, config.HeadDim, 16);
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
