using Tandem.Engine.Gguf;
using Tandem.Engine.Kernels;
using Tandem.Engine.Models;
using Tandem.Engine.Tests.Gguf;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Weights;

/// <summary>Matrices read in place from a mapped checkpoint are copied into memory of their own at load.</summary>
public class ResidentCopyTests
{
    [Theory]
    [InlineData("stories260K")]
    [InlineData("stories260K-bf16")]
    public unsafe void Every_in_place_matrix_is_copied_and_reads_back_as_stored(string model)
    {
        var directory = SharedData.Require("models", model);
        var config = ModelConfigLoader.Load(directory);
        using var stored = LlamaWeightsLoader.Load(directory, config);
        var (copied, note) = ResidentCopy.Apply(LlamaWeightsLoader.Load(directory, config));
        using (copied)
        {
            var pairs = stored.Matrices().Zip(copied.Matrices()).ToList();
            Assert.Equal(1 + (7 * stored.Layers.Count), pairs.Count);
            Assert.Contains($"{pairs.Count} ", note, StringComparison.Ordinal);
            foreach (var (before, after) in pairs)
            {
                Assert.Equal((before.DType, before.Rows, before.Cols), (after.DType, after.Rows, after.Cols));
                Assert.NotEqual((nint)before.Data, (nint)after.Data);
                AssertSameRows(before, after);
            }

            // A tied embedding is the copied lm_head, an untied one stays where it was.
            var tied = config.TieWordEmbeddings;
            Assert.Equal(tied, copied.Embedding.Data == copied.LmHead.Data);

            AssertSameRows(stored.Embedding, copied.Embedding);
        }
    }

    [Fact]
    public unsafe void Quantized_matrices_keep_their_memory_and_only_the_float_ones_move()
    {
        var path = GgufTestModels.Stories("q8_0");
        using var stored = GgufModel.Load(path).Weights;
        var loaded = GgufModel.Load(path).Weights;
        var before = loaded.Matrices().Select(m => ((nint)m.Data, m.DType.IsQuantized())).ToList();
        var (copied, note) = ResidentCopy.Apply(loaded);
        using (copied)
        {
            var after = copied.Matrices().ToList();
            for (var i = 0; i < after.Count; i++)
            {
                Assert.Equal(before[i].Item2, before[i].Item1 == (nint)after[i].Data);
            }

            foreach (var (expected, actual) in stored.Matrices().Zip(after))
            {
                AssertSameRows(expected, actual);
            }

            var floats = before.Count(m => !m.Item2);
            Assert.True(floats > 0);
            Assert.StartsWith($"{floats} float32 matrices", note, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Weights_with_nothing_in_place_are_returned_as_they_are()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"tandem-resident-{Guid.NewGuid():N}");
        try
        {
            RandomCheckpoint.Write(
                new RandomCheckpointOptions { Preset = RandomCheckpointPresets.Tiny, Layers = 1, Hidden = 64, Heads = 4, KvHeads = 2, Intermediate = 128, Vocab = 96, DType = DType.F32, Seed = 3 },
                directory);
            var config = ModelConfigLoader.Load(directory);
            var (quantized, _) = LoadTimeQuantizer.Apply(LlamaWeightsLoader.Load(directory, config), WeightQuantization.Int8);
            using (quantized)
            {
                Assert.All(quantized.Matrices(), m => Assert.True(m.DType.IsQuantized()));
                var (same, note) = ResidentCopy.Apply(quantized);
                Assert.Same(quantized, same);
                Assert.Null(note);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void AssertSameRows(in WeightMatrix expected, in WeightMatrix actual)
    {
        var a = new float[expected.Cols];
        var b = new float[actual.Cols];
        for (var r = 0; r < expected.Rows; r++)
        {
            WeightRows.ToFloat(expected, r, a);
            WeightRows.ToFloat(actual, r, b);
            Assert.Equal(a, b);
        }
    }
}
