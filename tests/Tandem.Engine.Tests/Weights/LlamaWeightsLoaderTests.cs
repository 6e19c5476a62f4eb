using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Weights;

public class LlamaWeightsLoaderTests
{
    [Fact]
    public unsafe void Loads_stories260K_f32_with_tied_embeddings()
    {
        var dir = SharedData.Require("models", "stories260K");
        var config = ModelConfigLoader.Load(dir);
        using var weights = LlamaWeightsLoader.Load(dir, config);
        Assert.Equal((512, 64, DType.F32), (weights.Embedding.Rows, weights.Embedding.Cols, weights.Embedding.DType));
        Assert.True(weights.LmHead.Data == weights.Embedding.Data);
        Assert.Equal(5, weights.Layers.Count);
        var layer = weights.Layers[4];
        Assert.Equal((64, 64), (layer.Q.Rows, layer.Q.Cols));
        Assert.Equal((32, 64), (layer.K.Rows, layer.K.Cols));
        Assert.Equal((64, 64), (layer.O.Rows, layer.O.Cols));
        Assert.Equal((172, 64), (layer.Gate.Rows, layer.Gate.Cols));
        Assert.Equal((64, 172), (layer.Down.Rows, layer.Down.Cols));
        Assert.Equal(64, weights.FinalNorm.Length);
        Assert.All(weights.FinalNorm, v => Assert.True(float.IsFinite(v) && v != 0));

        // The matrix points into the mapping: its bytes are the file's bytes at the header's offset.
        using var file = SafetensorsFile.Open(Path.Combine(dir, "model.safetensors"));
        var q = file.Tensors["model.layers.4.self_attn.q_proj.weight"];
        Assert.True(file.Bytes(q).SequenceEqual(new ReadOnlySpan<byte>(layer.Q.Data, (int)layer.Q.ByteCount)));
    }

    [Fact]
    public unsafe void Loads_stories260K_bf16_close_to_f32()
    {
        var f32Dir = SharedData.Require("models", "stories260K");
        var bf16Dir = SharedData.Require("models", "stories260K-bf16");
        using var f32 = LlamaWeightsLoader.Load(f32Dir, ModelConfigLoader.Load(f32Dir));
        using var bf16 = LlamaWeightsLoader.Load(bf16Dir, ModelConfigLoader.Load(bf16Dir));
        Assert.Equal(DType.BF16, bf16.Layers[0].Gate.DType);
        var wide = new float[64 * 172];
        ElementConversion.Widen(new ReadOnlySpan<byte>(bf16.Layers[0].Down.Data, (int)bf16.Layers[0].Down.ByteCount), DType.BF16, wide);
        var exact = new ReadOnlySpan<float>(f32.Layers[0].Down.Data, wide.Length);
        for (var i = 0; i < wide.Length; i++)
        {
            Assert.True(MathF.Abs(wide[i] - exact[i]) <= MathF.Abs(exact[i]) / 128, $"element {i}: {wide[i]} vs {exact[i]}");
        }

        for (var i = 0; i < 64; i++)
        {
            Assert.True(MathF.Abs(bf16.FinalNorm[i] - f32.FinalNorm[i]) <= MathF.Abs(f32.FinalNorm[i]) / 128);
        }
    }

    [Fact]
    public unsafe void Loads_a_sharded_checkpoint_like_the_single_file()
    {
        var source = SharedData.Require("models", "stories260K");
        using var dir = new TempDirectory();
        File.Copy(Path.Combine(source, "config.json"), dir.Combine("config.json"));
        using (var original = SafetensorsFile.Open(Path.Combine(source, "model.safetensors")))
        {
            var names = original.Tensors.Keys.Order(StringComparer.Ordinal).ToArray();
            var map = new JsonObject();
            var halves = new[] { names[..(names.Length / 2)], names[(names.Length / 2)..] };
            for (var s = 0; s < 2; s++)
            {
                var shard = $"model-0000{s + 1}-of-00002.safetensors";
                var layouts = halves[s].Select(n => new SafetensorsTensorLayout(n, DType.F32, original.Tensors[n].Shape)).ToArray();
                using var writer = new SafetensorsWriter(dir.Combine(shard), layouts);
                foreach (var n in halves[s])
                {
                    writer.Write(original.Bytes(original.Tensors[n]));
                    map[n] = shard;
                }

                writer.Complete();
            }

            File.WriteAllText(dir.Combine("model.safetensors.index.json"), new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = map }.ToJsonString());
        }

        var config = ModelConfigLoader.Load(source);
        using var single = LlamaWeightsLoader.Load(source, config);
        using var sharded = LlamaWeightsLoader.Load(dir.Path, config);
        for (var i = 0; i < config.NumLayers; i++)
        {
            Assert.True(new ReadOnlySpan<byte>(single.Layers[i].Up.Data, (int)single.Layers[i].Up.ByteCount)
                .SequenceEqual(new ReadOnlySpan<byte>(sharded.Layers[i].Up.Data, (int)sharded.Layers[i].Up.ByteCount)));
            Assert.Equal(single.Layers[i].MlpNorm, sharded.Layers[i].MlpNorm);
        }

        File.Delete(dir.Combine("model-00002-of-00002.safetensors"));
        var e = Assert.Throws<ModelLoadException>(() => LlamaWeightsLoader.Load(dir.Path, config));
        Assert.Contains("model-00002-of-00002.safetensors", e.Message, StringComparison.Ordinal);
        Assert.Contains("model.safetensors.index.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_lm_head_when_untied_names_the_file_and_tensor()
    {
        using var dir = StoriesCopy(config => config["tie_word_embeddings"] = false);
        var e = Assert.Throws<ModelLoadException>(() => Load(dir));
        Assert.Equal(dir.Combine("model.safetensors"), e.FilePath);
        Assert.Contains("tensor 'lm_head.weight' is missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_shape_names_the_tensor_and_both_shapes()
    {
        using var dir = StoriesCopy(config => config["intermediate_size"] = 100);
        var e = Assert.Throws<ModelLoadException>(() => Load(dir));
        Assert.Contains("tensor 'model.layers.0.mlp.gate_proj.weight' has shape [172, 64], the config needs [100, 64]", e.Message, StringComparison.Ordinal);
        Assert.Contains("model.safetensors", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_dtype_names_the_file_and_tensor()
    {
        using var dir = Handcrafted("""{"model.embed_tokens.weight":{"dtype":"I64","shape":[4,2],"data_offsets":[0,64]}}""", 64);
        var e = Assert.Throws<ModelLoadException>(() => Load(dir));
        Assert.Contains(dir.Combine("model.safetensors"), e.Message, StringComparison.Ordinal);
        Assert.Contains("tensor 'model.embed_tokens.weight' has dtype I64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_file_names_the_tensor()
    {
        using var dir = Handcrafted("""{"model.embed_tokens.weight":{"dtype":"F32","shape":[4,2],"data_offsets":[0,32]}}""", 20);
        var e = Assert.Throws<ModelLoadException>(() => Load(dir));
        Assert.Contains("truncated: tensor 'model.embed_tokens.weight' ends at data byte 32", e.Message, StringComparison.Ordinal);

        using var tiny = Handcrafted(null, 0, rawFile: [1, 2, 3]);
        Assert.Contains("truncated", Assert.Throws<ModelLoadException>(() => Load(tiny)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ not json", "bad header: not valid JSON")]
    [InlineData("""{"model.norm.weight":{"dtype":"F32","shape":[2]}}""", "tensor 'model.norm.weight' needs dtype, shape and data_offsets")]
    [InlineData("""{"model.norm.weight":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "tensor 'model.norm.weight' F32 [3] needs 12 bytes, data_offsets span 8")]
    public void Bad_header_is_reported(string header, string expected)
    {
        using var dir = Handcrafted(header, 16);
        var e = Assert.Throws<ModelLoadException>(() => Load(dir));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains(dir.Combine("model.safetensors"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Implausible_header_length_is_reported()
    {
        var raw = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(raw, ulong.MaxValue);
        using var dir = Handcrafted(null, 0, raw);
        Assert.Contains("bad header: declared header size", Assert.Throws<ModelLoadException>(() => Load(dir)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disposing_releases_the_mappings()
    {
        var checkpoint = SafetensorsCheckpoint.Open(SharedData.Require("models", "stories260K"));
        Assert.True(checkpoint.TryFind("model.norm.weight", out var file, out var tensor));
        Assert.Equal(256, file.Bytes(tensor).Length);
        checkpoint.Dispose();
        Assert.Throws<ObjectDisposedException>(() => file.Bytes(tensor).Length);
    }

    [Fact]
    public void Conversions_round_to_nearest_even()
    {
        Assert.Equal(0x3F80, Tandem.Engine.Kernels.BFloat16.FromSingle(1f));
        Assert.Equal(0x3F80, Tandem.Engine.Kernels.BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(0x3F808000))); // tie → even
        Assert.Equal(0x3F82, Tandem.Engine.Kernels.BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(0x3F818000))); // tie → even (up)
        Assert.Equal(0x3F81, Tandem.Engine.Kernels.BFloat16.FromSingle(BitConverter.UInt32BitsToSingle(0x3F808001)));
        float[] values = [1.5f, -2.25f, 0.1f];
        foreach (var dtype in new[] { DType.F32, DType.F16, DType.BF16 })
        {
            var bytes = new byte[values.Length * dtype.ByteSize()];
            ElementConversion.Narrow(values, dtype, bytes);
            var back = new float[values.Length];
            ElementConversion.Widen(bytes, dtype, back);
            Assert.Equal(1.5f, back[0]);
            Assert.Equal(-2.25f, back[1]);
            Assert.Equal(0.1f, back[2], 0.001f);
        }
    }

    private static LlamaWeights Load(TempDirectory dir) => LlamaWeightsLoader.Load(dir.Path, ModelConfigLoader.Load(dir.Path));

    private static TempDirectory StoriesCopy(Action<JsonNode> edit)
    {
        var source = SharedData.Require("models", "stories260K");
        var dir = new TempDirectory();
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!;
        edit(config);
        File.WriteAllText(dir.Combine("config.json"), config.ToJsonString());
        File.Copy(Path.Combine(source, "model.safetensors"), dir.Combine("model.safetensors"));
        return dir;
    }

    /// <summary>A config for a 2-wide, 4-token model and a safetensors file with the given header and data length.</summary>
    private static TempDirectory Handcrafted(string? header, int dataBytes, byte[]? rawFile = null)
    {
        var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("config.json"), """
            {"architectures": ["LlamaForCausalLM"], "hidden_size": 2, "num_hidden_layers": 1, "num_attention_heads": 1,
             "intermediate_size": 4, "vocab_size": 4, "rms_norm_eps": 1e-5, "max_position_embeddings": 16, "tie_word_embeddings": true}
            """);
        if (rawFile is null)
        {
            var json = Encoding.UTF8.GetBytes(header!);
            rawFile = new byte[8 + json.Length + dataBytes];
            BinaryPrimitives.WriteUInt64LittleEndian(rawFile, (ulong)json.Length);
            json.CopyTo(rawFile, 8);
        }

        File.WriteAllBytes(dir.Combine("model.safetensors"), rawFile);
        return dir;
    }
}
