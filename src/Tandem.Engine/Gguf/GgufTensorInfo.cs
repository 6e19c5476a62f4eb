namespace Tandem.Engine.Gguf;

/// <summary>
/// One tensor's header entry. <see cref="Dimensions"/> is in GGUF order: ne0 (the contiguous,
/// innermost axis, i.e. the columns of a matrix) first — the reverse of a row-major shape.
/// <see cref="Offset"/> is relative to the start of the tensor data section.
/// </summary>
public sealed record GgufTensorInfo(string Name, IReadOnlyList<long> Dimensions, GgufTensorType Type, long Offset)
{
    public long ElementCount => Dimensions.Aggregate(1L, (a, d) => a * d);

    public long ByteCount => ElementCount / Type.BlockSize() * Type.BlockBytes();

    /// <summary>The shape row-major, outermost first (e.g. [rows, cols]).</summary>
    public string ShapeText => $"[{string.Join(", ", Dimensions.Reverse())}]";
}
