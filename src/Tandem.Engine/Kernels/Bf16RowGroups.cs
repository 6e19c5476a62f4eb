using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>
/// BF16 matrices held in groups of 16 rows with each pair of columns interleaved: the layout the
/// outer-product kernels of <see cref="Bf16GroupTiles"/> read, one 64-byte line per column pair.
/// <code>
///   group g (rows 16g .. 16g+15), Pairs = ceil(Cols / 2) lines of 64 bytes, groups back to back:
///   line j, lane r (a little-endian uint) = w[16g + r, 2j]  |  w[16g + r, 2j + 1] &lt;&lt; 16
///   a missing column (Cols odd) or row (Rows not a multiple of 16) is a zero
///   decode: lanes &lt;&lt; 16 = the 16 rows' column 2j in fp32; lanes &amp; 0xFFFF0000 = column 2j + 1
/// </code>
/// The canonical order of a product with such a matrix (every batch, tile and thread count):
/// for each (row, token) one fp32 accumulator, from zero, <c>acc = fma(w[r, k], x[k], acc)</c> for
/// k = 0, 1, 2, … in turn (a padded column adds 0·0). <see cref="Scalar"/> is that definition.
/// </summary>
public static unsafe class Bf16RowGroups
{
    public const int GroupRows = 16;

    public const int LineBytes = 64;

    public static int Groups(int rows) => (rows + GroupRows - 1) / GroupRows;

    public static int Pairs(int cols) => (cols + 1) / 2;

    /// <summary>Bytes of one group of 16 rows.</summary>
    public static long GroupBytes(int cols) => (long)Pairs(cols) * LineBytes;

    public static long Bytes(int rows, int cols) => Groups(rows) * GroupBytes(cols);

    /// <summary>
    /// Lays out the row-major BF16 matrix <paramref name="m"/> in row groups at <paramref name="destination"/>
    /// (<see cref="Bytes"/> bytes) and returns the matrix that reads them.
    /// </summary>
    public static WeightMatrix Pack(in WeightMatrix m, byte* destination)
    {
        if (m.DType != DType.BF16 || m.AmxTiles || m.Bf16Groups)
        {
            throw new ArgumentException($"row groups are made from row-major BF16 rows, not {m.DType}{(m.AmxTiles ? " on AMX tiles" : m.Bf16Groups ? " in row groups" : "")}", nameof(m));
        }

        var source = m.Data;
        int rows = m.Rows, cols = m.Cols;
        var rowBytes = m.RowBytes;
        var groupBytes = GroupBytes(cols);
        var pairs = Pairs(cols);
        var full = cols / 2;
        Parallel.For(0, Groups(rows), g =>
        {
            var group = (uint*)(destination + (g * groupBytes));
            for (var r = 0; r < GroupRows; r++)
            {
                var row = (16 * g) + r;
                var lane = group + r;
                if (row >= rows)
                {
                    for (var j = 0; j < pairs; j++)
                    {
                        lane[j * 16] = 0;
                    }

                    continue;
                }

                var stored = (uint*)(source + (row * rowBytes));
                for (var j = 0; j < full; j++)
                {
                    lane[j * 16] = stored[j];
                }

                if (full < pairs)
                {
                    lane[full * 16] = ((ushort*)stored)[cols - 1];
                }
            }
        });
        return WeightMatrix.InBf16Groups(destination, rows, cols);
    }

    /// <summary>Row <paramref name="row"/> of a matrix in row groups, as fp32.</summary>
    public static void ToFloat(in WeightMatrix w, int row, Span<float> destination)
    {
        var lane = (uint*)(w.Data + (row / GroupRows * GroupBytes(w.Cols))) + (row % GroupRows);
        for (var k = 0; k < w.Cols; k++)
        {
            var pair = lane[k / 2 * 16];
            destination[k] = BitConverter.UInt32BitsToSingle(k % 2 == 0 ? pair << 16 : pair & 0xFFFF_0000u);
        }
    }

    /// <summary>The canonical order without vectors: one row times one token's x (Cols values).</summary>
    public static float Scalar(in WeightMatrix w, int row, ReadOnlySpan<float> x)
    {
        var lane = (uint*)(w.Data + (row / GroupRows * GroupBytes(w.Cols))) + (row % GroupRows);
        var acc = 0f;
        for (var j = 0; j < Pairs(w.Cols); j++)
        {
            var pair = lane[j * 16];
            var odd = (2 * j) + 1 < w.Cols ? x[(2 * j) + 1] : 0f;
            acc = MathF.FusedMultiplyAdd(BitConverter.UInt32BitsToSingle(pair << 16), x[2 * j], acc);
            acc = MathF.FusedMultiplyAdd(BitConverter.UInt32BitsToSingle(pair & 0xFFFF_0000u), odd, acc);
        }

        return acc;
    }
}
