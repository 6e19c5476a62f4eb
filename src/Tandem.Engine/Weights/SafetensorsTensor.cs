namespace Tandem.Engine.Weights;

/// <summary>
/// One entry of a safetensors header. <see cref="Begin"/> and <see cref="End"/> are byte offsets
/// into the data section (after the 8-byte length and the header).
/// </summary>
public sealed record SafetensorsTensor(string Name, string DTypeName, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>The dtype when Tandem supports it (F32, F16, BF16); null otherwise.</summary>
    public DType? DType => DTypeName switch
    {
        "F32" => Weights.DType.F32,
        "F16" => Weights.DType.F16,
        "BF16" => Weights.DType.BF16,
        _ => null,
    };

    public long ElementCount => Shape.Aggregate(1L, (n, d) => n * d);

    public string ShapeText => $"[{string.Join(", ", Shape)}]";

    /// <summary>Bytes per element of every dtype the safetensors format defines; null when unknown.</summary>
    internal static int? ElementSize(string dtypeName) => dtypeName switch
    {
        "BOOL" or "U8" or "I8" or "F8_E5M2" or "F8_E4M3" => 1,
        "U16" or "I16" or "F16" or "BF16" => 2,
        "U32" or "I32" or "F32" => 4,
        "U64" or "I64" or "F64" => 8,
        _ => null,
    };

    internal static string DTypeNameOf(DType dtype) => dtype switch
    {
        Weights.DType.F32 => "F32",
        Weights.DType.F16 => "F16",
        Weights.DType.BF16 => "BF16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };
}
