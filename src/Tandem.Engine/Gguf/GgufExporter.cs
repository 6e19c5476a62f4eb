using Tandem.Engine.Models;
using Tandem.Engine.Tokenization;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Gguf;

/// <summary>What <see cref="GgufExporter.Export"/> wrote.</summary>
public sealed record GgufExportResult(string Path, long Bytes, int Tensors, GgufTensorType MatrixType, uint FileType);

/// <summary>
/// Writes a Hugging Face Llama checkpoint (config.json, F32/F16/BF16 safetensors, tokenizer) as a
/// GGUF v3 file that llama.cpp loads: <c>llama.*</c> hyperparameters, llama.cpp's tensor names,
/// matrices in their stored type (no conversion), norms as F32, Q and K rows permuted per head into
/// GGUF's interleaved RoPE order (the inverse of what <see cref="GgufTensorLoader"/> undoes), and a
/// SentencePiece vocabulary as <c>tokenizer.ggml.model = "llama"</c>.
/// </summary>
public static class GgufExporter
{
    /// <summary>ggml's <c>llama_ftype</c> for a file whose matrices are all of one type.</summary>
    public static uint FileType(GgufTensorType type) => type switch
    {
        GgufTensorType.F32 => 0,
        GgufTensorType.F16 => 1,
        GgufTensorType.Q4_0 => 2,
        GgufTensorType.Q8_0 => 7,
        GgufTensorType.BF16 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <exception cref="ModelLoadException">The checkpoint is incomplete or not a plain Llama model.</exception>
    /// <exception cref="TokenizerLoadException">The tokenizer files are missing or unsupported.</exception>
    public static GgufExportResult Export(string modelDirectory, string outputPath)
    {
        var config = ModelConfigLoader.Load(modelDirectory);
        if (config.RopeScaling is not null)
        {
            throw new ModelLoadException(modelDirectory, ["rope_scaling is not exported to GGUF"]);
        }

        var tokenizer = Tokenizer.Load(modelDirectory);
        var vocabulary = GgufVocabulary.From(modelDirectory, tokenizer, config.VocabSize);
        using var checkpoint = SafetensorsCheckpoint.Open(modelDirectory);
        var writer = new GgufWriter();
        var matrixType = AddTensors(writer, checkpoint, config);
        var fileType = FileType(matrixType);

        writer.Add("general.architecture", "llama")
            .Add("general.name", Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDirectory))))
            .Add("general.file_type", fileType)
            .Add("llama.vocab_size", (uint)config.VocabSize)
            .Add("llama.context_length", (uint)config.MaxPositionEmbeddings)
            .Add("llama.embedding_length", (uint)config.HiddenSize)
            .Add("llama.block_count", (uint)config.NumLayers)
            .Add("llama.feed_forward_length", (uint)config.IntermediateSize)
            .Add("llama.rope.dimension_count", (uint)config.HeadDim)
            .Add("llama.attention.head_count", (uint)config.NumHeads)
            .Add("llama.attention.head_count_kv", (uint)config.NumKvHeads)
            .Add("llama.attention.layer_norm_rms_epsilon", config.RmsNormEps)
            .Add("llama.rope.freq_base", config.RopeTheta);
        if (config.HeadDim * config.NumHeads != config.HiddenSize)
        {
            writer.Add("llama.attention.key_length", (uint)config.HeadDim).Add("llama.attention.value_length", (uint)config.HeadDim);
        }

        writer.Add("tokenizer.ggml.model", "llama")
            .Add("tokenizer.ggml.tokens", vocabulary.Tokens)
            .Add("tokenizer.ggml.scores", vocabulary.Scores)
            .Add("tokenizer.ggml.token_type", vocabulary.Types);
        if ((tokenizer.BosId ?? config.BosTokenId) is { } bos)
        {
            writer.Add("tokenizer.ggml.bos_token_id", (uint)bos);
        }

        if ((tokenizer.EosId ?? config.EosTokenIds.FirstOrDefault(-1)) is var eos and >= 0)
        {
            writer.Add("tokenizer.ggml.eos_token_id", (uint)eos);
        }

        if (vocabulary.UnkId is { } unk)
        {
            writer.Add("tokenizer.ggml.unknown_token_id", (uint)unk);
        }

        writer.Add("tokenizer.ggml.add_bos_token", tokenizer.AddBos).Add("tokenizer.ggml.add_eos_token", tokenizer.AddEos);
        var bytes = writer.Write(outputPath);
        return new GgufExportResult(outputPath, bytes, 2 + (9 * config.NumLayers) + (config.TieWordEmbeddings ? 0 : 1), matrixType, fileType);
    }

    private static GgufTensorType AddTensors(GgufWriter writer, SafetensorsCheckpoint checkpoint, ModelConfig c)
    {
        int hidden = c.HiddenSize, qDim = c.NumHeads * c.HeadDim, kvDim = c.NumKvHeads * c.HeadDim, ffn = c.IntermediateSize;
        var embeddingType = Matrix(writer, checkpoint, "model.embed_tokens.weight", "token_embd.weight", c.VocabSize, hidden);
        for (var i = 0; i < c.NumLayers; i++)
        {
            string hf = $"model.layers.{i}.", gg = $"blk.{i}.";
            Vector(writer, checkpoint, hf + "input_layernorm.weight", gg + "attn_norm.weight", hidden);
            Matrix(writer, checkpoint, hf + "self_attn.q_proj.weight", gg + "attn_q.weight", qDim, hidden, c.HeadDim);
            Matrix(writer, checkpoint, hf + "self_attn.k_proj.weight", gg + "attn_k.weight", kvDim, hidden, c.HeadDim);
            Matrix(writer, checkpoint, hf + "self_attn.v_proj.weight", gg + "attn_v.weight", kvDim, hidden);
            Matrix(writer, checkpoint, hf + "self_attn.o_proj.weight", gg + "attn_output.weight", hidden, qDim);
            Vector(writer, checkpoint, hf + "post_attention_layernorm.weight", gg + "ffn_norm.weight", hidden);
            Matrix(writer, checkpoint, hf + "mlp.gate_proj.weight", gg + "ffn_gate.weight", ffn, hidden);
            Matrix(writer, checkpoint, hf + "mlp.up_proj.weight", gg + "ffn_up.weight", ffn, hidden);
            Matrix(writer, checkpoint, hf + "mlp.down_proj.weight", gg + "ffn_down.weight", hidden, ffn);
        }

        Vector(writer, checkpoint, "model.norm.weight", "output_norm.weight", hidden);
        if (!c.TieWordEmbeddings)
        {
            Matrix(writer, checkpoint, "lm_head.weight", "output.weight", c.VocabSize, hidden);
        }

        return embeddingType;
    }

    /// <summary>Adds a [rows, cols] matrix in its stored type; with <paramref name="ropeHeadDim"/>, GGUF row g is written from rotate-half row <see cref="GgufRopeOrder.RotateHalfRow"/>(g).</summary>
    private static unsafe GgufTensorType Matrix(GgufWriter writer, SafetensorsCheckpoint checkpoint, string hfName, string ggufName, int rows, int cols, int ropeHeadDim = 0)
    {
        var (file, tensor, dtype) = Find(checkpoint, hfName, [rows, cols]);
        var type = dtype switch
        {
            DType.F32 => GgufTensorType.F32,
            DType.F16 => GgufTensorType.F16,
            _ => GgufTensorType.BF16,
        };
        var rowBytes = cols * dtype.ByteSize();
        writer.AddTensor(ggufName, [cols, rows], type, stream =>
        {
            var data = file.Data(tensor);
            if (ropeHeadDim == 0)
            {
                for (long offset = 0, total = (long)rows * rowBytes; offset < total; offset += int.MaxValue / 2)
                {
                    stream.Write(new ReadOnlySpan<byte>(data + offset, (int)Math.Min(int.MaxValue / 2, total - offset)));
                }

                return;
            }

            for (var g = 0; g < rows; g++)
            {
                stream.Write(new ReadOnlySpan<byte>(data + ((long)GgufRopeOrder.RotateHalfRow(g, ropeHeadDim) * rowBytes), rowBytes));
            }
        });
        return type;
    }

    private static void Vector(GgufWriter writer, SafetensorsCheckpoint checkpoint, string hfName, string ggufName, int length)
    {
        var (file, tensor, dtype) = Find(checkpoint, hfName, [length]);
        var values = new float[length];
        ElementConversion.Widen(file.Bytes(tensor), dtype, values);
        writer.AddTensor(ggufName, [length], GgufTensorType.F32, stream => stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())));
    }

    private static (SafetensorsFile File, SafetensorsTensor Tensor, DType DType) Find(SafetensorsCheckpoint checkpoint, string name, long[] shape)
    {
        if (!checkpoint.TryFind(name, out var file, out var tensor))
        {
            throw new ModelLoadException(checkpoint.Source, [$"tensor '{name}' is missing"]);
        }

        if (tensor.DType is not { } dtype)
        {
            throw new ModelLoadException(file.Path, [$"tensor '{name}' has dtype {tensor.DTypeName}; only F32, F16 and BF16 are exported"]);
        }

        if (!tensor.Shape.SequenceEqual(shape))
        {
            throw new ModelLoadException(file.Path, [$"tensor '{name}' has shape {tensor.ShapeText}, the config needs [{string.Join(", ", shape)}]"]);
        }

        return (file, tensor, dtype);
    }
}
