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
                Dequantize<Q8Chunks>(data, w.Cols, destination);
                break;
            case DType.Q4_0:
                Dequantize<Q4Chunks>(data, w.Cols, destination);
                break;
            default:
                throw new NotSupportedException($"weights in {w.DType}");
        }
    }

    private static unsafe void Dequantize<T>(byte* row, int cols, Span<float> destination)
        where T : IChunkDecoder
    {
        for (var c = 0; c < cols / 32; c++)
        {
            var chunk = row + (c * T.ChunkBytes);
            for (var j = 0; j < 16; j++)
            {
                destination[(c * 32) + j] = T.ScalarA(chunk, j);
                destination[(c * 32) + 16 + j] = T.ScalarB(chunk, j);
            }
        }
    }
}
