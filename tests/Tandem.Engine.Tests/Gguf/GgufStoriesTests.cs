using Tandem.Engine.Gguf;
using Tandem.Engine.Models;
using Tandem.Engine.Tests.Execution;
using Tandem.Engine.Tokenization;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Gguf;

/// <summary>
/// stories260K as GGUF against llama.cpp's greedy outputs. The golden files are llama-simple's
/// output: "&lt;s&gt;", the prompt " Once upon a time", 200 generated tokens, then a newline.
/// Q8_0 stays Q8_0 (its blocks multiplied with 8-bit activation blocks, as llama.cpp does) and reproduces llama.cpp's own Q8_0 text (which
/// differs from the f32 text) for all 200 tokens. The tokenizer is each file's own (its metadata).
/// </summary>
public class GgufStoriesTests
{
    private const string Prompt = "Once upon a time";
    private const int GoldenTokens = 200;

    [Theory]
    [InlineData("f32")]
    [InlineData("f16")]
    [InlineData("q8_0")]
    public async Task Greedy_200_tokens_reproduce_llama_cpp_exactly(string type)
    {
        var path = GgufTestModels.Stories(type);
        var tokenizer = Tokenizer.LoadGguf(path);
        var golden = Golden(type);
        await using var h = GgufTestModels.Open(path);
        var outcome = await h.GreedyAsync(tokenizer.Encode(Prompt), GoldenTokens);

        Assert.Equal(GoldenTokens, outcome.Tokens.Count);
        Assert.Equal(golden, Prompt + tokenizer.Decode([.. outcome.Tokens]));
        await h.AssertPoolFullAsync();
    }

    [Fact]
    public void F32_first_step_logits_equal_the_safetensors_model_within_1e_4()
    {
        var prompt = Tokenizer.LoadGguf(GgufTestModels.Stories("f32")).Encode(Prompt);
        var reference = ModelConfigLoader.Load(TestModels.Stories);
        float[] expected;
        using (var weights = LlamaWeightsLoader.Load(TestModels.Stories, reference))
        {
            expected = GgufTestModels.FirstStepLogits(reference, weights, prompt);
        }

        var (config, ggufWeights) = GgufModel.Load(GgufTestModels.Stories("f32"));
        using (ggufWeights)
        {
            // Same architecture; context length and token ids come from other metadata in each format.
            Assert.Equal(reference with { MaxPositionEmbeddings = config.MaxPositionEmbeddings, BosTokenId = config.BosTokenId, EosTokenIds = config.EosTokenIds, TorchDtype = config.TorchDtype }, config);
            var logits = GgufTestModels.FirstStepLogits(config, ggufWeights, prompt);
            Assert.Equal(expected.Length, logits.Length);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - logits[i]) <= 1e-4, $"logit {i}: safetensors {expected[i]}, gguf {logits[i]}");
            }
        }
    }

    [Fact]
    public void Config_comes_from_the_llama_metadata()
    {
        using var file = GgufFile.Open(GgufTestModels.Stories("f32"));
        var c = GgufModelConfig.Read(file);
        Assert.Equal((64, 5, 8, 4, 8, 172, 512), (c.HiddenSize, c.NumLayers, c.NumHeads, c.NumKvHeads, c.HeadDim, c.IntermediateSize, c.VocabSize));
        Assert.True(c.TieWordEmbeddings);
        Assert.Equal(1, c.BosTokenId);
        Assert.Equal([2], c.EosTokenIds);
    }

    /// <summary>
    /// The random-weight Llama-2 GGUF (F16, untied output, 32000 vocabulary) from the file alone:
    /// llama-simple's output is "&lt;s&gt;", the prompt " Hello" (its "▁Hello" piece), 16 generated
    /// tokens, then a newline.
    /// </summary>
    [Fact]
    public async Task Tiny_random_llama_2_from_the_gguf_alone_reproduces_llama_cpp_greedy_16()
    {
        var path = SharedData.Require("models", "llama-2-tiny-random-gguf", "llama-2-tiny-random.gguf");
        var text = File.ReadAllText(SharedData.Require("golden", "llama-2-tiny-random-greedy-16.txt"));
        Assert.StartsWith("<s> Hello", text, StringComparison.Ordinal);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var tokenizer = Tokenizer.LoadGguf(path);
        var prompt = tokenizer.Encode("Hello");
        Assert.Equal([1, 15043], prompt);

        await using var h = GgufTestModels.Open(path);
        var outcome = await h.GreedyAsync(prompt, 16);
        Assert.Equal(16, outcome.Tokens.Count);
        Assert.Equal(text["<s> ".Length..^1], tokenizer.Decode([.. prompt, .. outcome.Tokens]));
        await h.AssertPoolFullAsync();
    }

    private static string Golden(string type)
    {
        var text = File.ReadAllText(SharedData.Require("golden", $"stories260K-gguf-{type}-greedy-200.txt"));
        Assert.StartsWith("<s> ", text, StringComparison.Ordinal);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        return text["<s> ".Length..^1];
    }
}
