using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Gguf;

/// <summary>Turns GGUF tensors into <see cref="WeightMatrix"/> and fp32 vectors, checking presence and shape.</summary>
internal sealed unsafe class GgufTensorLoader
{
    private readonly GgufFile _file;
    private readonly NativeBuffers _buffers;

    public GgufTensorLoader(GgufFile file, NativeBuffers buffers)
    {
        _file = file;
        _buffers = buffers;
    }

    private GgufFile File => _file;

    /// <summary>Whether a matrix returned so far points into the file's mapping.</summary>
    public bool MappedInPlace { get; private set; }

    /// <summary>
    /// A [rows, cols] matrix (GGUF dims [cols, rows]). With <paramref name="ropeHeads"/>, rows are
    /// reordered per head from GGUF's interleaved order to rotate-half order: HF row j &lt; d/2 of a
    /// head is GGUF row 2j, HF row d/2 + j is GGUF row 2j + 1. F32, F16 and BF16 stay as stored: in
    /// place in the mapping, or, when reordered, row bytes copied whole. Q8_0 and Q4_0 blocks are
    /// copied into the kernels' row groups (<see cref="Kernels.QuantizedRowGroups"/>), reordered on the way.
    /// </summary>
    public WeightMatrix Matrix(string name, int rows, int cols, int ropeHeads = 0)
    {
        var t = Find(name, [cols, rows]);
        var source = File.Data(t);
        var dtype = StoredDType(t.Type);
        if (cols % dtype.BlockSize() != 0)
        {
            throw new ModelLoadException(File.Path, [$"tensor '{name}' is {t.Type} with rows of {cols} elements, not a multiple of its block size {dtype.BlockSize()}"]);
        }

        if (ropeHeads != 0 && rows % (2 * ropeHeads) != 0)
        {
            throw new ModelLoadException(File.Path, [$"tensor '{name}' has {rows} rows, not an even head size times {ropeHeads} heads"]);
        }

        var headDim = ropeHeads == 0 ? 0 : rows / ropeHeads;
        if (dtype.IsQuantized())
        {
            Func<int, int>? order = ropeHeads == 0 ? null : r => GgufRopeOrder.InterleavedRow(r, headDim);
            return Kernels.QuantizedRowGroups.Pack(dtype, rows, cols, source, _buffers.Allocate(Kernels.QuantizedRowGroups.Bytes(dtype, rows, cols)), order);
        }

        if (ropeHeads == 0)
        {
            MappedInPlace = true;
            return new WeightMatrix(source, dtype, rows, cols);
        }

        var rowBytes = dtype.RowBytes(cols);
        var data = _buffers.Allocate(rows * rowBytes);
        for (var r = 0; r < rows; r++)
        {
            var from = GgufRopeOrder.InterleavedRow(r, headDim);
            Buffer.MemoryCopy(source + (from * rowBytes), data + (r * rowBytes), rowBytes, rowBytes);
        }

        return new WeightMatrix(data, dtype, rows, cols);
    }

    public float[] Vector(string name, int length)
    {
        var t = Find(name, [length]);
        var values = new float[length];
        GgufDequantizer.ToSingle(File.Bytes(t), t.Type, values);
        return values;
    }

    private static DType StoredDType(GgufTensorType type) => type switch
    {
        GgufTensorType.F32 => DType.F32,
        GgufTensorType.F16 => DType.F16,
        GgufTensorType.BF16 => DType.BF16,
        GgufTensorType.Q8_0 => DType.Q8_0,
        GgufTensorType.Q4_0 => DType.Q4_0,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    private GgufTensorInfo Find(string name, long[] dims)
    {
        if (!File.Tensors.TryGetValue(name, out var t))
        {
            throw new ModelLoadException(File.Path, [$"tensor '{name}' is missing"]);
        }

        if (!t.Dimensions.SequenceEqual(dims))
        {
            throw new ModelLoadException(File.Path, [$"tensor '{name}' has shape {t.ShapeText}, the config needs [{string.Join(", ", dims.Reverse())}]"]);
        }

        return t;
    }
}
