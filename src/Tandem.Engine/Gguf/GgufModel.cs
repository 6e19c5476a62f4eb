using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Gguf;

/// <summary>
/// Loads a Llama-architecture GGUF file into <see cref="ModelConfig"/> and <see cref="LlamaWeights"/>.
/// F32, F16 and BF16 matrices are used in place in the mapping; Q8_0 and Q4_0 matrices keep their
/// type and are copied into the kernels' row groups (<see cref="Kernels.QuantizedRowGroups"/>); each
/// tensor keeps its own type. Q and K are stored in GGUF's interleaved RoPE row order (each
/// head's rows pair up as (x0, x1), (x2, x3), ...); they are copied with each head's rows put back
/// into Hugging Face's rotate-half order (even rows, then odd rows) that <see cref="Modeling.LlamaModel"/>
/// expects. Disposing the weights frees those buffers and the mapping; a file whose matrices were all
/// copied is unmapped as soon as it is loaded.
/// </summary>
public static class GgufModel
{
    public static (ModelConfig Config, LlamaWeights Weights) Load(string path)
    {
        var file = GgufFile.Open(path);
        var owner = new NativeBuffers(file);
        try
        {
            var config = GgufModelConfig.Read(file);
            return (config, Build(file, owner, config));
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    private static LlamaWeights Build(GgufFile file, NativeBuffers owner, ModelConfig c)
    {
        var loader = new GgufTensorLoader(file, owner);
        int hidden = c.HiddenSize, qDim = c.NumHeads * c.HeadDim, kvDim = c.NumKvHeads * c.HeadDim, ffn = c.IntermediateSize;
        var embedding = loader.Matrix("token_embd.weight", c.VocabSize, hidden);
        var layers = new LayerWeights[c.NumLayers];
        for (var i = 0; i < layers.Length; i++)
        {
            var p = $"blk.{i}.";
            layers[i] = new LayerWeights
            {
                AttentionNorm = loader.Vector(p + "attn_norm.weight", hidden),
                Q = loader.Matrix(p + "attn_q.weight", qDim, hidden, ropeHeads: c.NumHeads),
                K = loader.Matrix(p + "attn_k.weight", kvDim, hidden, ropeHeads: c.NumKvHeads),
                V = loader.Matrix(p + "attn_v.weight", kvDim, hidden),
                O = loader.Matrix(p + "attn_output.weight", hidden, qDim),
                MlpNorm = loader.Vector(p + "ffn_norm.weight", hidden),
                Gate = loader.Matrix(p + "ffn_gate.weight", ffn, hidden),
                Up = loader.Matrix(p + "ffn_up.weight", ffn, hidden),
                Down = loader.Matrix(p + "ffn_down.weight", hidden, ffn),
            };
        }

        var finalNorm = loader.Vector("output_norm.weight", hidden);
        var lmHead = c.TieWordEmbeddings ? embedding : loader.Matrix("output.weight", c.VocabSize, hidden);
        if (!loader.MappedInPlace)
        {
            // Every matrix was copied (all Q8_0/Q4_0) and the vectors read into arrays: the mapping
            // would only keep a second copy of the weights in the process.
            owner.ReleaseSource();
        }

        return new LlamaWeights(embedding, layers, finalNorm, lmHead, owner);
    }
}
