namespace Tandem.Engine.Weights;

/// <summary>
/// A [Rows × Cols] matrix in its stored dtype, usually pointing into a memory-mapped checkpoint.
/// Plain types (F32, F16, BF16) are row-major: row r starts at <c>Data + r * RowBytes</c>, where
/// <see cref="RowBytes"/> is <c>DType.RowBytes(Cols)</c>. Block types (Q8_0, Q4_0; Cols a multiple
/// of 32) hold their rows interleaved in groups of 16 (<see cref="Kernels.QuantizedRowGroups"/>, made
/// by its <c>Pack</c>), so they have no row address; <see cref="Kernels.WeightRows"/> reads any row of
/// either. The owner of the memory (a <see cref="LlamaWeights"/>) keeps it alive; this struct never
/// frees anything.
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

    /// <summary>
    /// True when this BF16 matrix is laid out in AMX tiles (<see cref="Kernels.Amx.AmxTileRows"/>) and its
    /// products run on them (<see cref="Kernels.Amx.AmxBf16Kernel"/>) instead of the AVX-512 kernels: a
    /// property of the matrix, so every product with it, whatever the batch, adds in the same order
    /// (batch invariance). Such a matrix has no row address either; <see cref="Kernels.WeightRows"/> reads its rows.
    /// </summary>
    public bool AmxTiles { get; private init; }

    /// <summary>
    /// True when this F32, BF16 or F16 matrix is laid out in groups of 16 rows with column pairs interleaved
    /// (<see cref="Kernels.FloatRowGroups"/>) and its products run on the outer-product kernels of
    /// <see cref="Kernels.FloatGroupTiles"/>, in their order, whatever the batch. No row address either.
    /// </summary>
    public bool FloatGroups { get; private init; }

    /// <summary>Bytes one row takes in storage.</summary>
    public long RowBytes { get; }

    /// <summary>Bytes of the whole matrix (block types: rows rounded up to a whole group of 16).</summary>
    public long ByteCount => DType.IsQuantized() ? Kernels.QuantizedRowGroups.Bytes(DType, Rows, Cols)
        : FloatGroups ? Kernels.FloatRowGroups.Bytes(DType, Rows, Cols)
        : Rows * RowBytes;

    /// <summary>Whether <see cref="Kernels.Amx.AmxTileRows.Pack"/> applies: row-major BF16, rows and columns multiples of 32.</summary>
    public bool FitsAmxTiles => DType == DType.BF16 && !FloatGroups && Rows > 0 && Cols > 0
        && Rows % Kernels.Amx.AmxBf16Kernel.Rows == 0 && Cols % Kernels.Amx.AmxBf16Kernel.Columns == 0;

    /// <summary>A BF16 matrix already laid out in AMX tiles at <paramref name="data"/>; throws unless AMX is available here.</summary>
    internal static WeightMatrix InAmxTiles(byte* data, int rows, int cols) => Kernels.Amx.AmxSupport.IsAvailable
        ? new WeightMatrix(data, DType.BF16, rows, cols) { AmxTiles = true }
        : throw new PlatformNotSupportedException(Kernels.Amx.AmxSupport.Reason);

    /// <summary>An F32, BF16 or F16 matrix already laid out in row groups (<see cref="Kernels.FloatRowGroups"/>) at <paramref name="data"/>.</summary>
    internal static WeightMatrix InFloatGroups(byte* data, DType dtype, int rows, int cols) => new(data, dtype, rows, cols) { FloatGroups = true };

    /// <summary>Where row <paramref name="row"/> starts; plain types only.</summary>
    public byte* Row(int row) => DType.IsQuantized()
        ? throw new InvalidOperationException($"{DType} rows are interleaved in groups of 16 and have no address of their own; read them with WeightRows.ToFloat")
        : AmxTiles ? throw new InvalidOperationException("rows laid out in AMX tiles have no address of their own; read them with WeightRows.ToFloat")
        : FloatGroups ? throw new InvalidOperationException("rows laid out in row groups have no address of their own; read them with WeightRows.ToFloat")
        : Data + (row * RowBytes);
}
