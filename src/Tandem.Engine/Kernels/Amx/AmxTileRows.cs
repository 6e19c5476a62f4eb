using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels.Amx;

/// <summary>
/// BF16 weights laid out for <see cref="AmxBf16Kernel"/>, as B operands of TDPBF16PS: blocks of 32
/// rows; in a block, step by step (32 columns), the tile of rows 0–15 then that of rows 16–31, each
/// 16 rows of 64 bytes where tile row j holds column pair j (columns 2j, 2j + 1 of the step) of the
/// 16 weight rows, one 32-bit word per weight row. A block is one sequential stream of 2 KiB per step.
/// <code>
///   block b = rows 32b..32b+31:  step 0: [pair 0: r0 r1 … r15][pair 1: …] … [pair 15] │ [same for r16..r31]   step 1: …
///   row r, column k at  b × 64 × Cols  +  (k / 32) × 2048  +  (r % 32 / 16) × 1024  +  (k % 32 / 2) × 64  +  (r % 16) × 4  +  (k % 2) × 2
/// </code>
/// The same bytes as the row-major matrix, moved (Rows and Cols are multiples of 32).
/// </summary>
internal static unsafe class AmxTileRows
{
    /// <summary>Bytes of one step (two B tiles).</summary>
    public const int StepBytes = 2048;

    /// <summary>Copies the row-major BF16 <paramref name="source"/> into <paramref name="destination"/> (ByteCount bytes) in tile order.</summary>
    public static WeightMatrix Pack(in WeightMatrix source, byte* destination)
    {
        if (!source.FitsAmxTiles || source.AmxTiles)
        {
            throw new ArgumentException($"a {source.DType} matrix of {source.Rows} × {source.Cols} cannot be laid out in AMX tiles (row-major BF16, rows and columns multiples of 32)", nameof(source));
        }

        var w = source;
        var steps = w.Cols / 32;
        var rowWords = (nint)(w.RowBytes / 4);
        Parallel.For(0, w.Rows / 32, b =>
        {
            // Written in order, a tile at a time; its 16 source rows' 64 bytes stay in L1 meanwhile.
            var target = (uint*)(destination + ((long)b * 64 * w.Cols));
            for (var s = 0; s < steps; s++)
            {
                for (var half = 0; half < 2; half++)
                {
                    var rows = (uint*)w.Row((b * 32) + (half * 16)) + (s * 16);
                    for (var j = 0; j < 16; j++)
                    {
                        for (var r = 0; r < 16; r++)
                        {
                            *target++ = rows[(r * rowWords) + j];
                        }
                    }
                }
            }
        });
        return WeightMatrix.InAmxTiles(destination, w.Rows, w.Cols);
    }

    /// <summary>Row <paramref name="row"/> widened to fp32.</summary>
    public static void ToFloat(in WeightMatrix w, int row, Span<float> destination)
    {
        var column = (uint*)(w.Data + ((long)(row / 32) * 64 * w.Cols) + (row % 32 / 16 * 1024)) + (row % 16);
        for (var s = 0; s < w.Cols / 32; s++)
        {
            for (var j = 0; j < 16; j++)
            {
                var pair = column[(s * (StepBytes / 4)) + (j * 16)];
                destination[(s * 32) + (2 * j)] = BFloat16.ToSingle((ushort)pair);
                destination[(s * 32) + (2 * j) + 1] = BFloat16.ToSingle((ushort)(pair >> 16));
            }
        }
    }
}
