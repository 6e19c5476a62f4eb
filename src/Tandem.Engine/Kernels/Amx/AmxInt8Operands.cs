using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tandem.Engine.Kernels.Amx;

/// <summary>
/// Tokens for <see cref="AmxInt8Kernel"/>: tiles of 16 tokens, made from their
/// <see cref="ActivationBlocks"/> (the same q, d and c the AVX-VNNI kernels use), laid out per block
/// as the routine loads them:
/// <code>
///   tile, block b at b · BlockBytes(variant):
///     q   16 tokens × 32 int8      the A tile                                     512 bytes
///     d   16 fp32                  the tokens' scales                              64 bytes
///     c   16 tokens × 16 int32     in place only: c repeated for the 16 rows,    1024 bytes
///                                  the C tile's starting values
/// </code>
/// Tokens past the last of a tile are zero (q, d and c), so they add nothing and are not stored.
/// </summary>
internal static unsafe class AmxInt8Operands
{
    /// <summary>Bytes of one block of one tile for <paramref name="variant"/>.</summary>
    public static int BlockBytes(AmxInt8Kernel.Variant variant) => variant == AmxInt8Kernel.Variant.InPlace ? 1600 : 576;

    /// <summary>Bytes of one tile of a row of <paramref name="blocks"/> blocks.</summary>
    public static nint TileBytes(AmxInt8Kernel.Variant variant, int blocks) => (nint)blocks * BlockBytes(variant);

    /// <summary>Tiles for <paramref name="n"/> tokens.</summary>
    public static int Tiles(int n) => (n + AmxInt8Kernel.Tokens - 1) / AmxInt8Kernel.Tokens;

    /// <summary>
    /// Writes tile <paramref name="tile"/>'s blocks [<paramref name="start"/>, <paramref name="end"/>)
    /// for <paramref name="variant"/> from the tokens' activation blocks (token t at <c>a + t · aStride</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(AmxInt8Kernel.Variant variant, byte* a, nint aStride, int n, int tile, int start, int end, byte* destination)
    {
        var first = tile * AmxInt8Kernel.Tokens;
        var tokens = Math.Min(AmxInt8Kernel.Tokens, n - first);
        var corrections = variant == AmxInt8Kernel.Variant.InPlace;
        var blockBytes = BlockBytes(variant);
        for (var b = start; b < end; b++)
        {
            var block = destination + ((nint)b * blockBytes);
            var q = block;
            var d = (float*)(block + 512);
            var c = (int*)(block + 576);
            for (var t = 0; t < AmxInt8Kernel.Tokens; t++)
            {
                if (t >= tokens)
                {
                    new Span<byte>(q + (32 * t), 32).Clear();
                    d[t] = 0;
                    if (corrections)
                    {
                        Vector512<int>.Zero.Store(c + (16 * t));
                    }

                    continue;
                }

                var source = a + ((first + t) * aStride) + (b * ActivationBlocks.BlockBytes);
                Vector256.Load(source).Store(q + (32 * t));
                d[t] = *(float*)(source + ActivationBlocks.ScaleOffset);
                if (corrections)
                {
                    Vector512.Create(*(int*)(source + ActivationBlocks.CorrectionOffset)).Store(c + (16 * t));
                }
            }
        }
    }
}
