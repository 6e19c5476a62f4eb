using BenchmarkDotNet.Running;
using Tandem.Bench.Decode;

// The decode step under BenchmarkDotNet, with MemoryDiagnoser: `dotnet run -c Release --project bench/Tandem.Bench.Decode`
// (BenchmarkDotNet arguments pass through, e.g. `-- --job short`).
BenchmarkRunner.Run<DecodeStepBenchmark>(args: args);
