using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Gguf;

/// <summary>Turns GGUF tensors into <see cref="WeightMatrix"/> and fp32 vectors, checking presence and shape.</summary>
internal sealed unsafe class GgufTensorLoader
{
    private readonly GgufWeightsOwner _owner;

    public GgufTensorLoader(GgufWeightsOwner owner) => _owner = owner;

    private GgufFile File => _owner.File;

    /// <summary>
    /// A [rows, cols] matrix (GGUF dims [cols, rows]). With <paramref name="ropeHeads"/>, rows are
    /// reordered per head from GGUF's interleaved order to rotate-half order: HF row j &lt; d/2 of a
    /// head is GGUF row 2j, HF row d/2 + j is GGUF row 2j + 1.
    /// </summary>
    public WeightMatrix Matrix(string name, int rows, int cols, int ropeHeads = 0)
    {
        var t = Find(name, [cols, rows]);
        var source = File.Data(t);
        var rowBytes = (long)cols / t.Type.BlockSize() * t.Type.BlockBytes();
        var stored = StoredDType(t.Type);
        if (stored is { } inPlace && ropeHeads == 0)
        {
            return new WeightMatrix(source, inPlace, rows, cols);
        }

        var dtype = stored ?? DType.F32;
        var outRowBytes = (long)cols * dtype.ByteSize();
        var data = _owner.Allocate(rows * outRowBytes);
        if (ropeHeads > 0 && rows % (2 * ropeHeads) != 0)
        {
            throw new ModelLoadException(File.Path, [$"tensor '{name}' has {rows} rows, not an even head size times {ropeHeads} heads"]);
        }

        var headDim = ropeHeads > 0 ? rows / ropeHeads : 0;
        for (var r = 0; r < rows; r++)
        {
            var from = ropeHeads > 0 ? GgufRopeOrder.InterleavedRow(r, headDim) : r;
            var src = new ReadOnlySpan<byte>(source + (from * rowBytes), checked((int)rowBytes));
            var dst = new Span<byte>(data + (r * outRowBytes), checked((int)outRowBytes));
            if (stored is not null)
            {
                src.CopyTo(dst);
            }
            else
            {
                GgufDequantizer.ToSingle(src, t.Type, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(dst));
            }
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

    private static DType? StoredDType(GgufTensorType type) => type switch
    {
        GgufTensorType.F32 => DType.F32,
        GgufTensorType.F16 => DType.F16,
        GgufTensorType.BF16 => DType.BF16,
        _ => null,
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
