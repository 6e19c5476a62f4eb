using System.Text.Json;
using System.Text.Json.Serialization;
using Tandem.Engine.Models;

namespace Tandem.Engine.Runtime;

/// <summary>
/// One engine's benchmark results as JSON: <c>tandem bench engine --json</c> and the LLamaSharp
/// benchmark (bench/Tandem.Bench.LlamaSharp) both write this schema, so one tool can tabulate them.
/// </summary>
public sealed record BenchmarkReport
{
    /// <summary>"tandem" or "llamasharp".</summary>
    public required string Engine { get; init; }

    public required string Model { get; init; }

    /// <summary>Weight format as the engine runs it, e.g. BF16, Q8_0, int8.</summary>
    public required string Format { get; init; }

    public required BenchmarkShape Shape { get; init; }

    /// <summary>Matrix weight bytes one decode step reads.</summary>
    public required long WeightBytesPerStep { get; init; }

    /// <summary>Parameters of the matrices a token passes through (all layers and the LM head; not the embedding lookup).</summary>
    public required long MatmulParameters { get; init; }

    public required int Threads { get; init; }

    public double? BandwidthGBps { get; init; }

    public double? PeakGflops { get; init; }

    public required IReadOnlyList<BenchmarkMeasurement> Measurements { get; init; }

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static long CountMatmulParameters(ModelConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        long qDim = (long)c.NumHeads * c.HeadDim, kvDim = (long)c.NumKvHeads * c.HeadDim, hidden = c.HiddenSize;
        var layer = (hidden * qDim * 2) + (hidden * kvDim * 2) + (hidden * c.IntermediateSize * 3);
        return (layer * c.NumLayers) + ((long)c.VocabSize * hidden);
    }

    /// <summary>
    /// A measurement with its derived figures: decode's weight GB/s (steps per second × bytes per
    /// step) as a share of <see cref="BandwidthGBps"/>; prefill's GFLOP/s (2 × matmul parameters ×
    /// tokens per second) as a share of <see cref="PeakGflops"/>.
    /// </summary>
    public BenchmarkMeasurement Measure(string kind, int batch, int promptTokens, long tokens, double seconds)
    {
        var rate = tokens / seconds;
        double? gbps = null, gflops = null, ofBandwidth = null, ofPeak = null;
        if (kind == BenchmarkMeasurement.Decode)
        {
            gbps = WeightBytesPerStep * (rate / batch) / 1e9;
            ofBandwidth = BandwidthGBps is > 0 ? 100 * gbps / BandwidthGBps : null;
        }
        else
        {
            gflops = 2.0 * MatmulParameters * rate / 1e9;
            ofPeak = PeakGflops is > 0 ? 100 * gflops / PeakGflops : null;
        }

        return new BenchmarkMeasurement(kind, batch, promptTokens, tokens, seconds, rate, gbps, gflops, ofBandwidth, ofPeak);
    }

    public void WriteJson(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions));

    public static BenchmarkReport ReadJson(string path) =>
        JsonSerializer.Deserialize<BenchmarkReport>(File.ReadAllText(path), JsonOptions) ?? throw new InvalidDataException($"{path}: empty benchmark report");
}

public sealed record BenchmarkShape(int Layers, int Hidden, int Heads, int KvHeads, int HeadDim, int Intermediate, int Vocab)
{
    public static BenchmarkShape Of(ModelConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new(c.NumLayers, c.HiddenSize, c.NumHeads, c.NumKvHeads, c.HeadDim, c.IntermediateSize, c.VocabSize);
    }

    public override string ToString() => $"{Layers} layers, hidden {Hidden}, {Heads} heads / {KvHeads} KV heads, intermediate {Intermediate}, vocab {Vocab}";
}

/// <summary>
/// One measurement. Prefill: one prompt of <see cref="PromptTokens"/>, timed to its first token.
/// Decode: <see cref="Batch"/> sequences generating together; <see cref="TokensPerSecond"/> is the
/// aggregate over the batch.
/// </summary>
public sealed record BenchmarkMeasurement(
    string Kind,
    int Batch,
    int PromptTokens,
    long Tokens,
    double Seconds,
    double TokensPerSecond,
    double? WeightGBps,
    double? Gflops,
    double? PercentOfBandwidth,
    double? PercentOfPeak)
{
    public const string Prefill = "prefill";
    public const string Decode = "decode";

    public string Name => Kind == Prefill ? $"prefill {PromptTokens} tokens" : $"decode batch {Batch}";
}
