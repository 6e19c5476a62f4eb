using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tandem.Engine.Kernels.Amx;

/// <summary>
/// Tokens for <see cref="AmxInt8Kernel"/>: tiles of 16 tokens, made from their
/// <see cref="ActivationBlocks"/> (the same q, c and d the AVX-VNNI kernels use), laid out per block
/// as the routine loads them:
/// <code>
///   tile, block b at b · BlockBytes:
///     q   16 tokens × 32 int8      the A tile                                         512 bytes
///     c   16 tokens × 16 int32     c repeated for 16 rows: the C tile's starting values  1024 bytes
///     d   16 fp32                  the tokens' scales                                    64 bytes
/// </code>
/// Tokens past the last of a tile are zero (q, c and d), so they add nothing and are not stored.
/// </summary>
internal static unsafe class AmxInt8Operands
{
    public const int BlockBytes = 1600;

    /// <summary>Bytes of one tile of a row of <paramref name="blocks"/> blocks.</summary>
    public static nint TileBytes(int blocks) => (nint)blocks * BlockBytes;

    /// <summary>Tiles for <paramref name="n"/> tokens.</summary>
    public static int Tiles(int n) => (n + AmxInt8Kernel.Tokens - 1) / AmxInt8Kernel.Tokens;

    /// <summary>
    /// Writes tile <paramref name="tile"/>'s blocks [<paramref name="start"/>, <paramref name="end"/>)
    /// from the tokens' activation blocks (token t at <c>a + t · aStride</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(byte* a, nint aStride, int n, int tile, int start, int end, byte* destination)
    {
        var first = tile * AmxInt8Kernel.Tokens;
        var tokens = Math.Min(AmxInt8Kernel.Tokens, n - first);
        for (var b = start; b < end; b++)
        {
            var block = destination + ((nint)b * BlockBytes);
            var q = block;
            var c = (int*)(block + 512);
            var d = (float*)(block + 1536);
            for (var t = 0; t < AmxInt8Kernel.Tokens; t++)
            {
                if (t >= tokens)
                {
                    new Span<byte>(q + (32 * t), 32).Clear();
                    Vector512<int>.Zero.Store(c + (16 * t));
                    d[t] = 0;
                    continue;
                }

                var source = a + ((first + t) * aStride) + (b * ActivationBlocks.BlockBytes);
                Vector256.Load(source).Store(q + (32 * t));
                Vector512.Create(*(int*)(source + ActivationBlocks.CorrectionOffset)).Store(c + (16 * t));
                d[t] = *(float*)(source + ActivationBlocks.ScaleOffset);
            }
        }
    }
}
