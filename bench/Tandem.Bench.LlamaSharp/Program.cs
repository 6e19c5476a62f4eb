using Tandem.Bench.LlamaSharp;

// LLamaSharp (llama.cpp) as the reference engine for `tandem bench engine`, and the table that compares them.
//   run MODEL.gguf [--threads N] [--prefill-tokens 128,1024] [--batch 1,8,32] [--decode-tokens 64]
//       [--json FILE] [--bandwidth-gbps X] [--peak-gflops Y] [--verbose]
//   quantize SRC.gguf DST.gguf q8_0|q4_0 [--threads N]
//   table [--title T] ENGINE:FORMAT:REPORT.json ...
//   alternation DIR: the table of bench/run-decode-alternation.sh (r<round>-<engine>-<format>.json reports)
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: run MODEL.gguf [options] | quantize SRC DST q8_0|q4_0 | table ENGINE:FORMAT:REPORT.json ... | alternation DIR");
    return 2;
}

var rest = new Arguments(args[1..]);
try
{
    return args[0] switch
    {
        "run" => LlamaBenchmark.Run(rest),
        "quantize" => Quantize.Run(rest),
        "table" => ComparisonTable.Run(rest),
        "alternation" => AlternationTable.Run(rest),
        _ => throw new ArgumentException($"unknown verb '{args[0]}'"),
    };
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException or Tandem.Engine.Models.ModelLoadException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
