using Tandem.Engine.Models;

namespace Tandem.Engine.Weights;

/// <summary>
/// Builds <see cref="LlamaWeights"/> from a Hugging Face safetensors checkpoint. Matrices point into
/// the memory-mapped files (no copy); norms are widened to fp32. Every tensor's presence, dtype and
/// shape is checked against the config; the first problem stops loading with a
/// <see cref="ModelLoadException"/> naming the file and the tensor.
/// </summary>
public static class LlamaWeightsLoader
{
    public static LlamaWeights Load(string modelDirectory, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var checkpoint = SafetensorsCheckpoint.Open(modelDirectory);
        try
        {
            return Build(checkpoint, config);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    private static LlamaWeights Build(SafetensorsCheckpoint checkpoint, ModelConfig c)
    {
        int hidden = c.HiddenSize, qDim = c.NumHeads * c.HeadDim, kvDim = c.NumKvHeads * c.HeadDim, ffn = c.IntermediateSize;
        var embedding = Matrix(checkpoint, "model.embed_tokens.weight", c.VocabSize, hidden);
        var layers = new LayerWeights[c.NumLayers];
        for (var i = 0; i < layers.Length; i++)
        {
            var p = $"model.layers.{i}.";
            layers[i] = new LayerWeights
            {
                AttentionNorm = Vector(checkpoint, p + "input_layernorm.weight", hidden),
                Q = Matrix(checkpoint, p + "self_attn.q_proj.weight", qDim, hidden),
                K = Matrix(checkpoint, p + "self_attn.k_proj.weight", kvDim, hidden),
                V = Matrix(checkpoint, p + "self_attn.v_proj.weight", kvDim, hidden),
                O = Matrix(checkpoint, p + "self_attn.o_proj.weight", hidden, qDim),
                MlpNorm = Vector(checkpoint, p + "post_attention_layernorm.weight", hidden),
                Gate = Matrix(checkpoint, p + "mlp.gate_proj.weight", ffn, hidden),
                Up = Matrix(checkpoint, p + "mlp.up_proj.weight", ffn, hidden),
                Down = Matrix(checkpoint, p + "mlp.down_proj.weight", hidden, ffn),
            };
        }

        var finalNorm = Vector(checkpoint, "model.norm.weight", hidden);
        var lmHead = c.TieWordEmbeddings ? embedding : Matrix(checkpoint, "lm_head.weight", c.VocabSize, hidden);
        return new LlamaWeights(embedding, layers, finalNorm, lmHead, checkpoint);
    }

    private static unsafe WeightMatrix Matrix(SafetensorsCheckpoint checkpoint, string name, int rows, int cols)
    {
        var (file, tensor, dtype) = Find(checkpoint, name, [rows, cols]);
        return new WeightMatrix(file.Data(tensor), dtype, rows, cols);
    }

    private static float[] Vector(SafetensorsCheckpoint checkpoint, string name, int length)
    {
        var (file, tensor, dtype) = Find(checkpoint, name, [length]);
        var values = new float[length];
        ElementConversion.Widen(file.Bytes(tensor), dtype, values);
        return values;
    }

    private static (SafetensorsFile File, SafetensorsTensor Tensor, DType DType) Find(SafetensorsCheckpoint checkpoint, string name, long[] shape)
    {
        if (!checkpoint.TryFind(name, out var file, out var tensor))
        {
            throw new ModelLoadException(checkpoint.Source, [$"tensor '{name}' is missing"]);
        }

        if (tensor.DType is not { } dtype)
        {
            throw new ModelLoadException(file.Path, [$"tensor '{name}' has dtype {tensor.DTypeName}; only F32, F16 and BF16 are supported"]);
        }

        if (!tensor.Shape.SequenceEqual(shape))
        {
            throw new ModelLoadException(file.Path, [$"tensor '{name}' has shape {tensor.ShapeText}, the config needs [{string.Join(", ", shape)}]"]);
        }

        return (file, tensor, dtype);
    }
}
