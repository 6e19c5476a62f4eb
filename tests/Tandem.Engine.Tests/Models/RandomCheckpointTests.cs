using System.Security.Cryptography;
using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Models;

public class RandomCheckpointTests
{
    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.BF16)]
    [InlineData(DType.F16)]
    public void Tiny_checkpoint_loads_with_the_config_shapes(DType dtype)
    {
        using var dir = new TempDirectory();
        var written = RandomCheckpoint.Write(new RandomCheckpointOptions { DType = dtype, Seed = 7 }, dir.Path);
        var config = ModelConfigLoader.Load(dir.Path);
        Assert.Equal(written with { EosTokenIds = config.EosTokenIds }, config);
        Assert.Equal([2], config.EosTokenIds);
        Assert.Equal((120, 3, 6, 2, 20, 250, 512, dtype), (config.HiddenSize, config.NumLayers, config.NumHeads, config.NumKvHeads, config.HeadDim, config.IntermediateSize, config.VocabSize, config.TorchDtype));
        Assert.False(config.TieWordEmbeddings);
        Assert.True(File.Exists(dir.Combine("generation_config.json")));

        using var weights = LlamaWeightsLoader.Load(dir.Path, config);
        Assert.Equal((512, 120, dtype), (weights.LmHead.Rows, weights.LmHead.Cols, weights.LmHead.DType));
        Assert.Equal((40, 120), (weights.Layers[2].K.Rows, weights.Layers[2].K.Cols));
        Assert.Equal((120, 120), (weights.Layers[2].O.Rows, weights.Layers[2].O.Cols));
        Assert.Equal((120, 250), (weights.Layers[2].Down.Rows, weights.Layers[2].Down.Cols));
        Assert.All(weights.Layers[1].AttentionNorm, v => Assert.InRange(v, 0.89f, 1.11f));
    }

    [Fact]
    public unsafe void Matrix_values_are_scaled_to_the_input_width()
    {
        using var dir = new TempDirectory();
        var config = RandomCheckpoint.Write(new RandomCheckpointOptions(), dir.Path);
        using var weights = LlamaWeightsLoader.Load(dir.Path, config);
        var down = new ReadOnlySpan<float>(weights.Layers[0].Down.Data, 120 * 250);
        var bound = MathF.Sqrt(3f / 250);
        var sumSquares = 0.0;
        foreach (var v in down)
        {
            Assert.InRange(v, -bound, bound);
            sumSquares += v * v;
        }

        Assert.InRange(sumSquares / down.Length, 0.9 / 250, 1.1 / 250);
    }

    [Fact]
    public void Same_seed_gives_identical_files_and_another_seed_differs()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        using var c = new TempDirectory();
        var options = new RandomCheckpointOptions { Layers = 2, DType = DType.BF16, Seed = 42 };
        RandomCheckpoint.Write(options, a.Path);
        RandomCheckpoint.Write(options, b.Path);
        RandomCheckpoint.Write(options with { Seed = 43 }, c.Path);
        Assert.Equal(Hash(a.Combine("model.safetensors")), Hash(b.Combine("model.safetensors")));
        Assert.Equal(Hash(a.Combine("config.json")), Hash(b.Combine("config.json")));
        Assert.NotEqual(Hash(a.Combine("model.safetensors")), Hash(c.Combine("model.safetensors")));
    }

    [Fact]
    public void Overrides_apply_and_bad_overrides_are_reported_like_config_json()
    {
        var config = RandomCheckpoint.Resolve(new RandomCheckpointOptions { Hidden = 96, Heads = 4, KvHeads = 1, Intermediate = 130, Vocab = 300, Layers = 1, TieWordEmbeddings = true });
        Assert.Equal((96, 4, 1, 24, 130, 300, 1, true), (config.HiddenSize, config.NumHeads, config.NumKvHeads, config.HeadDim, config.IntermediateSize, config.VocabSize, config.NumLayers, config.TieWordEmbeddings));

        var e = Assert.Throws<ModelLoadException>(() => RandomCheckpoint.Resolve(new RandomCheckpointOptions { KvHeads = 4, Layers = 0 }));
        Assert.Contains("num_key_value_heads: 4 does not divide num_attention_heads (6)", e.Problems);
        Assert.Contains("num_hidden_layers: must be positive, got 0", e.Problems);
        Assert.Throws<ArgumentException>(() => RandomCheckpoint.Resolve(new RandomCheckpointOptions { Preset = "gpt-5" }));
    }

    [Fact]
    public void TinyLlama_preset_has_the_published_shape()
    {
        var config = RandomCheckpoint.Resolve(new RandomCheckpointOptions { Preset = RandomCheckpointPresets.TinyLlama });
        Assert.Equal((2048, 22, 32, 4, 64, 5632, 32000, 2048, DType.BF16, false), (config.HiddenSize, config.NumLayers, config.NumHeads, config.NumKvHeads, config.HeadDim, config.IntermediateSize, config.VocabSize, config.MaxPositionEmbeddings, config.TorchDtype, config.TieWordEmbeddings));
        Assert.Equal(1e-5f, config.RmsNormEps);
    }

    [Fact]
    public void Tokenizer_files_are_copied_and_the_vocabulary_follows_them()
    {
        var tokenizer = SharedData.Require("models", "stories260K");
        using var dir = new TempDirectory();
        var config = RandomCheckpoint.Write(new RandomCheckpointOptions { Layers = 1, TokenizerDirectory = tokenizer }, dir.Path);
        Assert.Equal(512, config.VocabSize);
        foreach (var name in new[] { "tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(tokenizer, name)), File.ReadAllBytes(dir.Combine(name)));
        }

        // Without a config.json the size comes from tokenizer.json: the highest id + 1.
        using var bare = new TempDirectory();
        File.Copy(Path.Combine(tokenizer, "tokenizer.json"), bare.Combine("tokenizer.json"));
        Assert.Equal(512, RandomCheckpoint.Resolve(new RandomCheckpointOptions { TokenizerDirectory = bare.Path }).VocabSize);
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
