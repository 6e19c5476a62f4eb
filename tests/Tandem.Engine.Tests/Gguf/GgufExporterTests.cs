using Tandem.Engine.Gguf;
using Tandem.Engine.Models;
using Tandem.Engine.Tests.Execution;
using Tandem.Engine.Tokenization;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Gguf;

/// <summary>
/// stories260K (f32 safetensors) exported to GGUF: read back by our loader it is the same model, and
/// its layout and metadata match llama.cpp's own f32 conversion of the same model.
/// </summary>
public sealed class GgufExporterTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Rope_row_maps_are_inverses()
    {
        for (var row = 0; row < 3 * 8; row++)
        {
            Assert.Equal(row, GgufRopeOrder.RotateHalfRow(GgufRopeOrder.InterleavedRow(row, 8), 8));
        }
    }

    [Fact]
    public void Exported_stories_has_the_same_config_and_first_step_logits_exactly()
    {
        var path = Export();
        var prompt = Tokenizer.Load(TestModels.Stories).Encode("Once upon a time");
        var reference = ModelConfigLoader.Load(TestModels.Stories);
        float[] expected;
        using (var weights = LlamaWeightsLoader.Load(TestModels.Stories, reference))
        {
            expected = GgufTestModels.FirstStepLogits(reference, weights, prompt);
        }

        var (config, ggufWeights) = GgufModel.Load(path);
        using (ggufWeights)
        {
            Assert.Equal(reference.EosTokenIds, config.EosTokenIds);
            Assert.Equal(reference with { TorchDtype = config.TorchDtype, EosTokenIds = config.EosTokenIds }, config);
            Assert.Equal(expected, GgufTestModels.FirstStepLogits(config, ggufWeights, prompt));
        }
    }

    [Fact]
    public void Exported_stories_matches_llama_cpp_f32_conversion_in_tensors_and_metadata()
    {
        var path = Export();
        using var ours = GgufFile.Open(path);
        using var theirs = GgufFile.Open(GgufTestModels.Stories("f32"));
        Assert.Equal(3u, ours.Version);
        Assert.Equal(32, ours.Alignment);
        Assert.Equal(
            theirs.Tensors.Values.Select(t => (t.Name, t.Type, string.Join(",", t.Dimensions))).Order(),
            ours.Tensors.Values.Select(t => (t.Name, t.Type, string.Join(",", t.Dimensions))).Order());
        foreach (var t in theirs.Tensors.Values)
        {
            Assert.True(theirs.Bytes(t).SequenceEqual(ours.Bytes(ours.Tensors[t.Name])), $"tensor {t.Name} differs");
        }

        string[] same =
        [
            "general.architecture", "llama.embedding_length", "llama.block_count", "llama.feed_forward_length",
            "llama.rope.dimension_count", "llama.attention.head_count", "llama.attention.head_count_kv",
            "llama.attention.layer_norm_rms_epsilon", "tokenizer.ggml.model", "tokenizer.ggml.tokens",
            "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id",
            "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id",
        ];
        foreach (var key in same)
        {
            Assert.True(theirs.Metadata.Contains(key), $"reference lacks {key}");
            Assert.True(ours.Metadata.Contains(key), $"export lacks {key}");
            Assert.Equal(Text(theirs.Metadata.Values[key]), Text(ours.Metadata.Values[key]));
        }

        Assert.Equal(0, ours.Metadata.GetInteger("general.file_type"));
        var (a, b) = (GgufModelConfig.Read(theirs), GgufModelConfig.Read(ours));
        Assert.Equal(a.EosTokenIds, b.EosTokenIds);
        Assert.Equal(a with { MaxPositionEmbeddings = b.MaxPositionEmbeddings, EosTokenIds = b.EosTokenIds }, b);
    }

    private string Export()
    {
        var path = _temp.Combine("stories260K-f32.gguf");
        var result = GgufExporter.Export(TestModels.Stories, path);
        Assert.Equal(new FileInfo(path).Length, result.Bytes);
        Assert.Equal(GgufTensorType.F32, result.MatrixType);
        return path;
    }

    private static string Text(object value) => value switch
    {
        System.Collections.IEnumerable items and not string => string.Join("|", items.Cast<object>().Select(Text)),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
