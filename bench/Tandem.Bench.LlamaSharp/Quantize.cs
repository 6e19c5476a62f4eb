using LLama.Native;
using Tandem.Engine.Gguf;

namespace Tandem.Bench.LlamaSharp;

/// <summary>
/// Quantizes a GGUF file with llama.cpp (through LLamaSharp) to Q8_0 or Q4_0. llama.cpp's default
/// mixture would leave output.weight unquantized and, for Q4_0, may pick Q6_K or other k-quants for
/// some tensors; Tandem loads only F32/F16/BF16/Q8_0/Q4_0, so this sets <c>pure</c> (every 2-D tensor,
/// token_embd included, gets the requested type) and <c>quantize_output_tensor</c> (output.weight
/// too). Norms (1-D) stay F32. The result is checked by opening it with Tandem's GGUF reader.
/// </summary>
internal static class Quantize
{
    public static int Run(Arguments a)
    {
        var source = a.Required(0, "SRC.gguf");
        var destination = a.Required(1, "DST.gguf");
        var type = a.Required(2, "q8_0|q4_0").ToUpperInvariant() switch
        {
            "Q8_0" => LLamaFtype.MOSTLY_Q8_0,
            "Q4_0" => LLamaFtype.MOSTLY_Q4_0,
            var other => throw new ArgumentException($"type '{other}': only q8_0 and q4_0"),
        };
        LlamaBenchmark.ConfigureNative(a.Flag("--verbose"));
        NativeApi.llama_empty_call(); // loads the native library (the quantize-params call below does not)
        var p = LLamaModelQuantizeParams.Default();
        p.ftype = type;
        p.nthread = a.Int("--threads", Environment.ProcessorCount);
        p.pure = true;
        p.quantize_output_tensor = true;
        p.allow_requantize = false;
        if (NativeApi.llama_model_quantize(source, destination, ref p) != 0)
        {
            throw new InvalidOperationException($"llama_model_quantize {source} -> {destination} ({type}) failed");
        }

        using var file = GgufFile.Open(destination);
        var types = string.Join(", ", file.Tensors.Values.GroupBy(t => t.Type).Select(g => $"{g.Count()} {g.Key}"));
        Console.WriteLine($"wrote {destination}: {new FileInfo(destination).Length / 1e9:F2} GB, tensors {types} (pure, output quantized)");
        return 0;
    }
}
