using System.Diagnostics.CodeAnalysis;

namespace Tandem.Engine.Weights;

/// <summary>Weight-only quantization applied at load to a model's linear layers (<c>--quantization</c>).</summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "int8 and int4 are the option's own spellings")]
public enum WeightQuantization
{
    /// <summary>Matrices stay in their stored types.</summary>
    None,

    /// <summary>Q8_0: 32 int8 and one fp16 scale per block of 32 (8.5 bits a weight).</summary>
    Int8,

    /// <summary>Q4_0: 32 4-bit values and one fp16 scale per block of 32 (4.5 bits a weight).</summary>
    Int4,
}

public static class WeightQuantizations
{
    public const string Names = "none, int8 or int4";

    /// <summary>Parses none, int8 or int4 (case-insensitive); anything else is an <see cref="ArgumentException"/> naming the choices.</summary>
    public static WeightQuantization Parse(string value) => TryParse(value, out var q)
        ? q
        : throw new ArgumentException($"unknown quantization '{value}': use {Names}", nameof(value));

    public static bool TryParse(string? value, out WeightQuantization quantization)
    {
        quantization = value?.Trim().ToUpperInvariant() switch
        {
            "NONE" => WeightQuantization.None,
            "INT8" => WeightQuantization.Int8,
            "INT4" => WeightQuantization.Int4,
            _ => (WeightQuantization)(-1),
        };
        return quantization >= 0;
    }

    /// <summary>The lower-case name (none, int8, int4).</summary>
    public static string Name(this WeightQuantization quantization) => quantization switch
    {
        WeightQuantization.None => "none",
        WeightQuantization.Int8 => "int8",
        WeightQuantization.Int4 => "int4",
        _ => throw new ArgumentOutOfRangeException(nameof(quantization), quantization, null),
    };

    /// <summary>The block type the quantization stores (null for none).</summary>
    public static DType? Target(this WeightQuantization quantization) => quantization switch
    {
        WeightQuantization.None => null,
        WeightQuantization.Int8 => DType.Q8_0,
        WeightQuantization.Int4 => DType.Q4_0,
        _ => throw new ArgumentOutOfRangeException(nameof(quantization), quantization, null),
    };
}
