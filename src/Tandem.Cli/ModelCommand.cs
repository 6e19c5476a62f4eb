using System.CommandLine;
using System.Diagnostics;
using Tandem.Engine.Gguf;
using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Cli;

/// <summary><c>tandem model create</c>: deterministic random-weight checkpoints for tests and benchmarks; <c>tandem model export-gguf</c>: a checkpoint as GGUF for llama.cpp.</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out", "-o") { Description = "Directory to write the checkpoint into", Required = true };
        var preset = Options.Named<string>("--preset", "Model shape: " + string.Join(", ", RandomCheckpointPresets.Names), RandomCheckpointPresets.Tiny);
        preset.AcceptOnlyFromAmong([.. RandomCheckpointPresets.Names]);
        var layers = Options.Named<int?>("--layers", "Override: decoder layers", null);
        var hidden = Options.Named<int?>("--hidden", "Override: hidden size", null);
        var heads = Options.Named<int?>("--heads", "Override: attention heads", null);
        var kvHeads = Options.Named<int?>("--kv-heads", "Override: key/value heads (grouped-query attention)", null);
        var headDim = Options.Named<int?>("--head-dim", "Override: head size", null);
        var intermediate = Options.Named<int?>("--intermediate", "Override: MLP intermediate size", null);
        var vocab = Options.Named<int?>("--vocab", "Override: vocabulary size (ignored with --tokenizer, which sets it)", null);
        var dtype = Options.Named<string>("--dtype", "Weight dtype: f32, bf16 or f16", "bf16");
        dtype.AcceptOnlyFromAmong("f32", "bf16", "f16");
        var seed = Options.Named<ulong>("--seed", "Random seed; the same seed writes the same bytes", 0UL);
        var tokenizer = Options.Named<string?>("--tokenizer", "Copy the tokenizer files of this model directory", null);

        var create = new Command("create", "Write a random-weight Llama checkpoint in Hugging Face layout")
        {
            output, preset, layers, hidden, heads, kvHeads, headDim, intermediate, vocab, dtype, seed, tokenizer,
        };
        create.SetAction(parse =>
        {
            var options = new RandomCheckpointOptions
            {
                Preset = parse.GetValue(preset)!,
                Layers = parse.GetValue(layers),
                Hidden = parse.GetValue(hidden),
                Heads = parse.GetValue(heads),
                KvHeads = parse.GetValue(kvHeads),
                HeadDim = parse.GetValue(headDim),
                Intermediate = parse.GetValue(intermediate),
                Vocab = parse.GetValue(vocab),
                DType = parse.GetValue(dtype) switch { "f32" => DType.F32, "f16" => DType.F16, _ => DType.BF16 },
                Seed = parse.GetValue(seed),
                TokenizerDirectory = parse.GetValue(tokenizer),
            };
            var started = Stopwatch.GetTimestamp();
            var config = RandomCheckpoint.Write(options, parse.GetValue(output)!);
            Console.WriteLine(
                $"wrote {parse.GetValue(output)}: {config.NumLayers} layers, hidden {config.HiddenSize}, {config.NumHeads}/{config.NumKvHeads} heads, intermediate {config.IntermediateSize}, vocab {config.VocabSize}, {config.TorchDtype} in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
            return 0;
        });
        return new Command("model", "Model utilities") { create, CreateExportGguf() };
    }

    private static Command CreateExportGguf()
    {
        var source = new Argument<string>("SRC_DIR") { Description = "Hugging Face Llama checkpoint directory: config.json, F32/F16/BF16 safetensors, tokenizer.json or tokenizer.model" };
        var output = new Argument<string>("OUT") { Description = "GGUF file to write (GGUF v3, the weights' own type, e.g. model-bf16.gguf)" };
        var export = new Command("export-gguf", "Write a checkpoint as a GGUF file that llama.cpp loads (same weights and type; Q/K rows in GGUF's RoPE order; SentencePiece vocabulary)") { source, output };
        export.SetAction((parse, _) => LoadFailures.ReportAsync(() =>
        {
            var started = Stopwatch.GetTimestamp();
            var result = GgufExporter.Export(parse.GetValue(source)!, parse.GetValue(output)!);
            Console.WriteLine($"wrote {result.Path}: {result.Tensors} tensors, {result.MatrixType} matrices, {result.Bytes / 1e9:F2} GB in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
            return Task.FromResult(0);
        }));
        return export;
    }
}
