namespace Tandem.Engine.Weights;

/// <summary>
/// A row-major [Rows × Cols] matrix in its stored dtype, usually pointing into a memory-mapped
/// checkpoint. Row r starts at <c>Data + r * Cols * DType.ByteSize()</c>. The owner of the memory
/// (a <see cref="LlamaWeights"/>) keeps it alive; this struct never frees anything.
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
    }

    public byte* Data { get; }

    public DType DType { get; }

    public int Rows { get; }

    public int Cols { get; }

    public long ByteCount => (long)Rows * Cols * DType.ByteSize();

    public byte* Row(int row) => Data + ((long)row * Cols * DType.ByteSize());
}
