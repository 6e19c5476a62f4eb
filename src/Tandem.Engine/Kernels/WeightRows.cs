using System.Numerics.Tensors;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>Reads single weight rows as fp32 (the embedding lookup).</summary>
public static class WeightRows
{
    public static unsafe void ToFloat(in WeightMatrix w, int row, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, w.Rows);
        if (destination.Length < w.Cols)
        {
            throw new ArgumentException($"destination holds {destination.Length} values, needs {w.Cols}", nameof(destination));
        }

        var data = w.Row(row);
        switch (w.DType)
        {
            case DType.F32:
                new ReadOnlySpan<float>(data, w.Cols).CopyTo(destination);
                break;
            case DType.F16:
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(data, w.Cols), destination);
                break;
            case DType.BF16:
                BFloat16.ToSingle(new ReadOnlySpan<ushort>(data, w.Cols), destination);
                break;
            case DType.Q8_0:
                Dequantize<Q8Blocks>(data, w.Cols, destination);
                break;
            case DType.Q4_0:
                Dequantize<Q4Blocks>(data, w.Cols, destination);
                break;
            default:
                throw new NotSupportedException($"weights in {w.DType}");
        }
    }

    /// <summary>element = (u − offset) · d, one rounding: what <see cref="Gguf.GgufDequantizer"/> gives.</summary>
    private static unsafe void Dequantize<T>(byte* row, int cols, Span<float> destination)
        where T : IQuantizedBlocks
    {
        for (var b = 0; b < cols / 32; b++)
        {
            var block = row + (b * T.BlockBytes);
            var d = QuantizedScale.Read(block);
            for (var j = 0; j < 32; j++)
            {
                destination[(b * 32) + j] = (T.Unsigned(block, j) - T.Offset) * d;
            }
        }
    }
}
