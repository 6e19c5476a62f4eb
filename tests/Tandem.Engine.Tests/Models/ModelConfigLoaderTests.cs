using System.Text;
using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Models;

public class ModelConfigLoaderTests
{
    private const string Valid = """
        {
          "architectures": ["LlamaForCausalLM"],
          "hidden_size": 64, "num_hidden_layers": 5, "num_attention_heads": 8,
          "intermediate_size": 172, "vocab_size": 512, "rms_norm_eps": 1e-5,
          "max_position_embeddings": 512
        }
        """;

    private static ModelConfig Parse(string json) => ModelConfigLoader.Parse(Encoding.UTF8.GetBytes(json), "test/config.json");

    private static string With(string extra) => Valid.TrimEnd().TrimEnd('}') + "," + extra + "}";

    [Fact]
    public void Loads_stories260K()
    {
        var config = ModelConfigLoader.Load(SharedData.Require("models", "stories260K"));
        Assert.Equal("LlamaForCausalLM", config.Architecture);
        Assert.Equal((64, 5, 8, 4, 8, 172, 512), (config.HiddenSize, config.NumLayers, config.NumHeads, config.NumKvHeads, config.HeadDim, config.IntermediateSize, config.VocabSize));
        Assert.True(config.TieWordEmbeddings);
        Assert.Equal(1, config.BosTokenId);
        Assert.Equal([2], config.EosTokenIds);
        Assert.Equal(DType.F32, config.TorchDtype);
        Assert.Null(config.RopeScaling);
    }

    [Fact]
    public void Applies_defaults()
    {
        var config = Parse(Valid);
        Assert.Equal(8, config.NumKvHeads);
        Assert.Equal(8, config.HeadDim);
        Assert.Equal(10000f, config.RopeTheta);
        Assert.False(config.TieWordEmbeddings);
        Assert.Equal(DType.F32, config.TorchDtype);
        Assert.Null(config.BosTokenId);
        Assert.Empty(config.EosTokenIds);
    }

    [Fact]
    public void Reads_llama3_rope_scaling_eos_list_and_dtype_key()
    {
        var config = Parse(With("""
            "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
            "eos_token_id": [128001, 128009], "dtype": "bfloat16", "rope_theta": 500000.0
            """));
        Assert.Equal(new RopeScaling("llama3", 8f, 1f, 4f, 8192), config.RopeScaling);
        Assert.Equal([128001, 128009], config.EosTokenIds);
        Assert.Equal(DType.BF16, config.TorchDtype);
        Assert.Equal(500000f, config.RopeTheta);
    }

    [Fact]
    public void Accepts_mistral_without_a_binding_sliding_window()
    {
        Assert.Equal("MistralForCausalLM", Parse(Valid.Replace("LlamaForCausalLM", "MistralForCausalLM", StringComparison.Ordinal)).Architecture);
        Assert.Equal("MistralForCausalLM", Parse(With("\"sliding_window\": null").Replace("LlamaForCausalLM", "MistralForCausalLM", StringComparison.Ordinal)).Architecture);
        var e = Assert.Throws<ModelLoadException>(() => Parse(With("\"sliding_window\": 128").Replace("LlamaForCausalLM", "MistralForCausalLM", StringComparison.Ordinal)));
        Assert.Contains("sliding_window", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("dynamic")]
    [InlineData("yarn")]
    public void Refuses_other_rope_scaling(string type)
    {
        var e = Assert.Throws<ModelLoadException>(() => Parse(With($$"""
            "rope_scaling": {"type": "{{type}}", "factor": 2.0}
            """)));
        Assert.Contains($"rope_scaling: type \"{type}\" is not supported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reports_every_problem_at_once_naming_the_file_and_each_key()
    {
        var e = Assert.Throws<ModelLoadException>(() => Parse("""
            {
              "architectures": ["GPT2LMHeadModel"],
              "hidden_size": "64", "num_hidden_layers": 0, "num_attention_heads": 8, "num_key_value_heads": 3,
              "vocab_size": -1, "rms_norm_eps": 1e-5, "max_position_embeddings": 512,
              "torch_dtype": "int8", "attention_bias": true, "mlp_bias": true, "tie_word_embeddings": "yes",
              "eos_token_id": [2, "x"]
            }
            """));
        Assert.StartsWith("test/config.json", e.Message, StringComparison.Ordinal);
        string[] expected =
        [
            "architectures: GPT2LMHeadModel is not supported",
            "hidden_size: expected an integer, got the string \"64\"",
            "num_hidden_layers: must be positive, got 0",
            "intermediate_size: missing",
            "vocab_size: must be positive, got -1",
            "tie_word_embeddings: expected true or false",
            "eos_token_id: expected non-negative integers",
            "torch_dtype: \"int8\" is not supported",
            "attention_bias: true is not supported",
            "mlp_bias: true is not supported",
            "num_key_value_heads: 3 does not divide num_attention_heads (8)",
        ];
        foreach (var problem in expected)
        {
            Assert.Contains(e.Problems, p => p.StartsWith(problem, StringComparison.Ordinal));
            Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        }

        Assert.Equal(expected.Length, e.Problems.Count);
    }

    [Fact]
    public void Reports_heads_not_dividing_hidden_and_bad_llama3_fields()
    {
        var e = Assert.Throws<ModelLoadException>(() => Parse(With("""
            "num_attention_heads": 7,
            "rope_scaling": {"type": "llama3", "factor": 8.0, "low_freq_factor": 1.0}
            """).Replace("\"num_attention_heads\": 8,", "", StringComparison.Ordinal)));
        Assert.Contains(e.Problems, p => p.StartsWith("hidden_size: 64 is not divisible by num_attention_heads (7)", StringComparison.Ordinal));
        Assert.Contains("rope_scaling.high_freq_factor: missing", e.Problems);
        Assert.Contains("rope_scaling.original_max_position_embeddings: missing", e.Problems);
    }

    [Fact]
    public void Names_a_missing_file_and_bad_json()
    {
        using var dir = new TempDirectory();
        var missing = Assert.Throws<ModelLoadException>(() => ModelConfigLoader.Load(dir.Path));
        Assert.Contains(dir.Combine("config.json"), missing.Message, StringComparison.Ordinal);
        File.WriteAllText(dir.Combine("config.json"), "{ not json");
        var bad = Assert.Throws<ModelLoadException>(() => ModelConfigLoader.Load(dir.Path));
        Assert.Contains("not valid JSON", bad.Message, StringComparison.Ordinal);
    }
}
