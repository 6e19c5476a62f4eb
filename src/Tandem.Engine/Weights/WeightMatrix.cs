namespace Tandem.Engine.Weights;

/// <summary>
/// A row-major [Rows × Cols] matrix in its stored dtype, usually pointing into a memory-mapped
/// checkpoint. Row r starts at <c>Data + r * RowBytes</c>, where <see cref="RowBytes"/> is
/// <c>DType.RowBytes(Cols)</c> (block types such as Q8_0 need Cols to be a multiple of 32). The owner
/// of the memory (a <see cref="LlamaWeights"/>) keeps it alive; this struct never frees anything.
/// </summary>
public readonly unsafe struct WeightMatrix
{
    public WeightMatrix(byte* data, DType dtype, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        Data = data;
        DType = dtype;
        Rows = rows;
        Cols = cols;
        RowBytes = dtype.RowBytes(cols);
    }

    public byte* Data { get; }

    public DType DType { get; }

    public int Rows { get; }

    public int Cols { get; }

    /// <summary>Bytes of one stored row.</summary>
    public long RowBytes { get; }

    public long ByteCount => Rows * RowBytes;

    public byte* Row(int row) => Data + (row * RowBytes);
}
