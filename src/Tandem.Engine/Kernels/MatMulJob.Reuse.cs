using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>
/// Packing x once for several matrices: Q, K and V (and the MLP's gate and up) multiply the same
/// input, and packing it (the BF16 parts for AMX tiles, the 8-bit activation blocks, the float
/// layout) is a tenth of a batched step. A call records how it packed x; the next call, when its
/// caller says x is unchanged (<see cref="MatMul.Compute"/>'s <c>xUnchanged</c>), uses it again if it
/// would pack x the same way: the same kind, columns, tokens and memory.
/// </summary>
internal sealed unsafe partial class MatMulJob
{
    private Packed _packedX;

    /// <summary>How x was packed: by which path, for which shape, from where (default: nothing usable).</summary>
    private readonly record struct Packed(Packing Kind, int Cols, int N, nint Address)
    {
        public static Packed Of(in WeightMatrix w, ReadOnlySpan<float> x, int n)
        {
            var kind = w.AmxTiles ? Packing.Bf16Tiles
                : w.FloatGroups ? Packing.TokenTiles
                : w.DType == DType.Q8_0 ? Packing.Q8Blocks
                : w.DType == DType.Q4_0 ? Packing.Q4Blocks
                : w.DType == DType.BF16 ? Packing.Bf16Chunks
                : Packing.F32Chunks;
            return new Packed(kind, w.Cols, n, (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(x)));
        }
    }

    private enum Packing
    {
        None,
        Bf16Tiles,
        TokenTiles,
        Q8Blocks,
        Q4Blocks,
        Bf16Chunks,
        F32Chunks,
    }
}
