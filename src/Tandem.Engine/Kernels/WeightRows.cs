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

        if (w.DType.IsQuantized())
        {
            QuantizedRowGroups.ToFloat(w, row, destination);
            return;
        }

        if (w.FloatGroups)
        {
            FloatRowGroups.ToFloat(w, row, destination);
            return;
        }

        if (w.AmxTiles)
        {
            Amx.AmxTileRows.ToFloat(w, row, destination);
            return;
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
            default:
                throw new NotSupportedException($"weights in {w.DType}");
        }
    }
}
