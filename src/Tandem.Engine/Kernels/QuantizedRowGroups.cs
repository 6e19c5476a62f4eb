using System.Runtime.CompilerServices;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>
/// How Q8_0 and Q4_0 matrices are held in memory: rows interleaved in groups of 16, so that the
/// matrix-vector kernel streams one sequential run of bytes per group, one <c>vpdpbusd</c> adds
/// 4 products to each of 8 rows at once (<see cref="QuantizedTiles"/>: a group is two halves of 8
/// rows), and a block of a group is one AMX-INT8 B tile of 16 rows (<see cref="Amx.AmxInt8Kernel"/>).
/// Made at load from GGUF blocks (<see cref="Pack"/>); the bytes are the GGUF blocks' own,
/// rearranged, so a group takes exactly the bytes of its 16 GGUF rows.
/// <code>
///   group g (rows 16g..16g+15; rows past the matrix's last are zero: scale 0, weights 0)
///   ├─ scales: for each block b: d(row 0..15) as fp16          32 bytes per block
///   └─ data:   for each block b: 16 rows × 32 unsigned bytes   IQuantizedBlocks.DataBytes per block
///                (a 64-byte line per quad j: dword r = row r's elements 4j..4j+3, so bytes 0–31
///                 are rows 0–7 and bytes 32–63 rows 8–15; Q4_0 puts two quads in one line of nibbles)
/// </code>
/// </summary>
public static unsafe class QuantizedRowGroups
{
    public const int GroupRows = 16;

    /// <summary>Rows of a half group: the rows one 256-bit register holds.</summary>
    public const int HalfRows = 8;

    /// <summary>Bytes of one block's 16 fp16 scales.</summary>
    public const int ScaleBytes = 2 * GroupRows;

    public static int Groups(int rows) => (rows + GroupRows - 1) / GroupRows;

    public static long GroupBytes(DType dtype, int cols) => GroupRows * dtype.RowBytes(cols);

    /// <summary>Bytes of a packed [rows × cols] matrix (the last group padded to 16 rows).</summary>
    public static long Bytes(DType dtype, int rows, int cols) => Groups(rows) * GroupBytes(dtype, cols);

    /// <summary>
    /// Packs a matrix of GGUF rows (row r at <c>source + sourceRow(r) · RowBytes</c>, or row r itself
    /// without <paramref name="sourceRow"/>) into <paramref name="destination"/> (<see cref="Bytes"/> bytes).
    /// </summary>
    public static WeightMatrix Pack(DType dtype, int rows, int cols, byte* source, byte* destination, Func<int, int>? sourceRow = null)
    {
        if (!dtype.IsQuantized())
        {
            throw new ArgumentException($"{dtype} is not a block type", nameof(dtype));
        }

        var rowBytes = dtype.RowBytes(cols);
        var groupBytes = GroupBytes(dtype, cols);
        Parallel.For(0, Groups(rows), g =>
        {
            var group = stackalloc nint[GroupRows];
            for (var i = 0; i < GroupRows; i++)
            {
                var r = (g * GroupRows) + i;
                group[i] = r < rows ? (nint)(source + ((sourceRow?.Invoke(r) ?? r) * rowBytes)) : 0;
            }

            PackGroup(dtype, cols, group, destination + (g * groupBytes));
        });
        return new WeightMatrix(destination, dtype, rows, cols);
    }

    /// <summary>Packs one group from 16 GGUF row addresses (0 for a padding row) into <paramref name="group"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackGroup(DType dtype, int cols, nint* rows, byte* group)
    {
        var blocks = cols / 32;
        new Span<byte>(group, checked((int)GroupBytes(dtype, cols))).Clear();
        var blockBytes = dtype.BlockBytes();
        for (var i = 0; i < GroupRows; i++)
        {
            if (rows[i] == 0)
            {
                continue;
            }

            var row = (byte*)rows[i];
            for (var b = 0; b < blocks; b++)
            {
                var gguf = row + (b * blockBytes);
                *(ushort*)(group + (b * ScaleBytes) + (2 * i)) = *(ushort*)gguf;
                if (dtype == DType.Q8_0)
                {
                    Q8Blocks.Pack(gguf, i, Data<Q8Blocks>(group, blocks, b));
                }
                else
                {
                    Q4Blocks.Pack(gguf, i, Data<Q4Blocks>(group, blocks, b));
                }
            }
        }
    }

    /// <summary>Row <paramref name="row"/> as fp32: (u − offset) · d, one rounding, what <see cref="Gguf.GgufDequantizer"/> gives.</summary>
    internal static void ToFloat(in WeightMatrix w, int row, Span<float> destination)
    {
        if (w.DType == DType.Q8_0)
        {
            ToFloat<Q8Blocks>(w, row, destination);
        }
        else
        {
            ToFloat<Q4Blocks>(w, row, destination);
        }
    }

    internal static byte* Group(in WeightMatrix w, int group) => w.Data + (group * GroupBytes(w.DType, w.Cols));

    /// <summary>The 16 fp16 scales of block <paramref name="block"/> of a group.</summary>
    internal static byte* Scales(byte* group, int block) => group + (block * ScaleBytes);

    /// <summary>The weight bytes of block <paramref name="block"/> of a group of <paramref name="blocks"/> blocks.</summary>
    internal static byte* Data<T>(byte* group, int blocks, int block)
        where T : IQuantizedBlocks => group + (blocks * ScaleBytes) + (block * T.DataBytes);

    private static void ToFloat<T>(in WeightMatrix w, int row, Span<float> destination)
        where T : IQuantizedBlocks
    {
        var blocks = w.Cols / 32;
        var group = Group(w, row / GroupRows);
        var i = row % GroupRows;
        for (var b = 0; b < blocks; b++)
        {
            var d = QuantizedScale.Read(Scales(group, b) + (2 * i));
            var data = Data<T>(group, blocks, b);
            for (var e = 0; e < 32; e++)
            {
                destination[(b * 32) + e] = (T.Unsigned(data, i, e) - T.Offset) * d;
            }
        }
    }
}
