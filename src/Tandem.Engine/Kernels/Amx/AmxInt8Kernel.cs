using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels.Amx;

/// <summary>
/// Q8_0 and Q4_0 row groups on AMX-INT8: each of a run of groups (16 weight rows) times each of a run
/// of tiles of 16 tokens (<see cref="AmxInt8Operands"/>), over all blocks, with exactly the arithmetic
/// of <see cref="QuantizedTiles"/>, so that a token's results are bit for bit those of the AVX-VNNI
/// kernels and either path may serve any batch:
/// <code>
///   per block b:  C (16 tokens × 16 rows, int32) = Σ_e q[e] · w[e]            one TDPBSUD or TDPBSSD
///                 s = d_w(b) · d_x(b);  acc = fma((float)C, s, acc)           AVX-512, 16 rows a vector
/// </code>
/// </summary>
/// <remarks>
/// <para>
/// A block of a group is 16 rows × 32 elements, stored as 8 quads × 16 rows × 4 bytes: exactly a
/// B tile (8 rows of 64 bytes, row k = elements 4k..4k+3 of the 16 weight rows). The AVX-VNNI
/// kernels keep the weights unsigned, u = w + offset, and add a per-token correction
/// c = −offset · Σ q. Two routines, the same but for how they get the exact Σ q · w:
/// </para>
/// <list type="bullet">
/// <item><b>In place</b> (<see cref="Variant.InPlace"/>): TDPBSUD on the unsigned bytes as stored (Q8_0 read
/// where it lies), C starting at c, loaded from the operands (a 16 × 64-byte tile per block and token
/// tile). Nothing is copied, so the weights stream from memory while the tiles work: best for one or
/// two token tiles (batched decode).</item>
/// <item><b>Signed</b> (<see cref="Variant.Signed"/>): TDPBSSD on w = u − offset, copied a few groups at a time
/// into L2 (<see cref="ToSigned"/>), C starting at zero: a third less tile traffic per block, and
/// operands without c (576 bytes a block instead of 1,600), so many token tiles stay in L2: best for
/// prompts.</item>
/// </list>
/// <para>
/// The tokens' signed bytes are the A tile (16 rows of 32 bytes). Per block, the C tile (a 64-byte
/// line per token: its 16 rows) is stored and scaled into 16 fp32 accumulators (zmm0–15, one per
/// token), the blocks in order from 0, as the AVX-VNNI kernel adds them.
/// </para>
/// <para>
/// .NET 10 has no AMX intrinsics: the routines are machine code, the assembly beside each
/// instruction's bytes (GNU as, Intel syntax), placed once in an executable page. A call loads its
/// tile configuration once (ldtilecfg cost ~13 % of the routine's time when a call was one group and
/// one tile) and releases the tiles before returning. Registers: rdi = arguments, r9/r11 = the
/// group's data and scales, r12 = the token tile, r13/r14 = tiles and groups left, r15 = y, r8/r10/rdx
/// = the block's data, scales and token operands, rcx = blocks left, rsi = scratch, zmm16 = the
/// block's 16 weight scales, zmm0–15 = the 16 tokens' accumulators.
/// </para>
/// </remarks>
internal static unsafe partial class AmxInt8Kernel
{
    /// <summary>Weight rows per call: one group.</summary>
    public const int Rows = QuantizedRowGroups.GroupRows;

    /// <summary>Tokens per call (the A tile's rows).</summary>
    public const int Tokens = 16;

    /// <summary>Bytes of scratch a call needs (64-byte aligned): the stored C tile.</summary>
    public const int ScratchBytes = 1024;

    /// <summary>Bytes of one block of one group's weights.</summary>
    public const int BlockBytes = 512;

    private static readonly delegate* unmanaged[SuppressGCTransition]<Arguments*, void> s_inPlace = Place(Code(Variant.InPlace));

    private static readonly delegate* unmanaged[SuppressGCTransition]<Arguments*, void> s_signed = Place(Code(Variant.Signed));

    /// <summary>How a routine gets the exact sums (see the remarks).</summary>
    public enum Variant
    {
        /// <summary>Unsigned weights as stored, C from the tokens' corrections.</summary>
        InPlace,

        /// <summary>A signed copy of the weights, C from zero.</summary>
        Signed,
    }

    /// <summary>The one tile configuration: C 16 × 64 bytes (tmm0), A 16 × 32 (tmm1), B 8 × 64 (tmm2).</summary>
    private static readonly byte* s_config = MakeConfig();

    /// <summary>
    /// Runs <paramref name="groups"/> row groups (16 rows each) times <paramref name="tileCount"/> token
    /// tiles (16 tokens each), under one tile configuration: group g's results with tile t go to
    /// <c>y + (g · tileCount + t) · 256</c>, 16 floats per token (its 16 rows).
    /// </summary>
    /// <param name="variant">Which routine: the weights' bytes and the operands' layout must be the ones it takes.</param>
    /// <param name="data">The first group's blocks: as stored (<see cref="QuantizedRowGroups"/>, Q8_0) for <see cref="Variant.InPlace"/>, from <see cref="ToSigned"/> for <see cref="Variant.Signed"/>; 512 bytes a block.</param>
    /// <param name="dataStride">Bytes from one group's blocks to the next group's.</param>
    /// <param name="scales">The first group's fp16 scales (32 bytes a block).</param>
    /// <param name="scalesStride">Bytes from one group's scales to the next group's.</param>
    /// <param name="groups">Groups, at least 1.</param>
    /// <param name="tiles">The first token tile (<see cref="AmxInt8Operands"/>).</param>
    /// <param name="tileStride">Bytes from one token tile to the next.</param>
    /// <param name="tileCount">Token tiles, at least 1.</param>
    /// <param name="blocks">Blocks of 32 per row, at least 1.</param>
    /// <param name="y"><c>groups · tileCount · 256</c> floats.</param>
    /// <param name="scratch"><see cref="ScratchBytes"/>, 64-byte aligned.</param>
    public static void Multiply(Variant variant, byte* data, nint dataStride, byte* scales, nint scalesStride, int groups, byte* tiles, nint tileStride, int tileCount, int blocks, float* y, byte* scratch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tileCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        var args = new Arguments
        {
            Config = s_config,
            Data = data,
            DataStride = dataStride,
            Scales = scales,
            ScalesStride = scalesStride,
            Tiles = tiles,
            TileStride = tileStride,
            Groups = groups,
            TileCount = tileCount,
            Blocks = blocks,
            Y = y,
            Scratch = scratch,
        };
        (variant == Variant.InPlace ? s_inPlace : s_signed)(&args);
    }

    /// <summary>
    /// A group's weights as signed bytes w = u − offset, in Q8_0's layout (<see cref="QuantizedRowGroups"/>:
    /// quad j of a block at 64 · j), <see cref="BlockBytes"/> a block: Q8_0's bytes with the sign bit
    /// flipped back; Q4_0's nibbles (<see cref="Q4Blocks"/>: line k of 64 bytes holds quad 2k in its
    /// low nibbles and quad 2k + 1 in its high ones) widened to bytes, minus 8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToSigned(DType dtype, byte* data, int blocks, byte* destination)
    {
        if (dtype == DType.Q8_0)
        {
            var sign = Vector512.Create((byte)0x80);
            var bytes = (nint)blocks * Q8Blocks.DataBytes;
            for (nint i = 0; i < bytes; i += 64)
            {
                (Vector512.Load(data + i) ^ sign).Store(destination + i);
            }

            return;
        }

        var low = Vector512.Create((byte)0x0F);
        var eight = Vector512.Create((byte)8);
        for (var b = 0; b < blocks; b++)
        {
            var source = data + (b * Q4Blocks.DataBytes);
            var target = destination + (b * BlockBytes);
            for (var k = 0; k < 4; k++)
            {
                var line = Vector512.Load(source + (64 * k));
                ((line & low) - eight).Store(target + (128 * k));
                ((Vector512.ShiftRightLogical(line.AsUInt16(), 4).AsByte() & low) - eight).Store(target + (128 * k) + 64);
            }
        }
    }

    /// <summary>
    /// The routine for <paramref name="variant"/> (System V, rdi = <see cref="Arguments"/>*): the pieces of
    /// <c>AmxInt8Kernel.Code.cs</c>, with what differs between the variants and the loops' jumps.
    /// </summary>
    private static byte[] Code(Variant variant)
    {
        var inPlace = variant == Variant.InPlace;
        var code = new List<byte>(1024);
        code.AddRange(Prologue);
        var group = code.Count;
        code.AddRange(GroupHead);
        var tile = code.Count;
        code.AddRange(TileHead);
        var block = code.Count;
        code.AddRange(BlockHead);
        code.AddRange(inPlace
            ? [0xc4, 0xe2, 0x7b, 0x4b, 0x84, 0x1a, 0x40, 0x02, 0x00, 0x00] // tileloadd tmm0,[rdx+rbx*1+0x240]: C = c
            : [0xc4, 0xe2, 0x7b, 0x49, 0xc0]);                             // tilezero tmm0: C = 0
        code.AddRange(Loads);
        code.AddRange(inPlace
            ? [0xc4, 0xe2, 0x6a, 0x5e, 0xc1]  // tdpbsud tmm0,tmm1,tmm2: signed tokens × unsigned weights
            : [0xc4, 0xe2, 0x6b, 0x5e, 0xc1]); // tdpbssd tmm0,tmm1,tmm2: signed × signed
        code.AddRange(Scaling);
        code.AddRange(NextBlock);
        code.AddRange([0x48, 0x81, 0xc2]); // add rdx,imm32: the next block of the token tile
        code.AddRange(BitConverter.GetBytes(AmxInt8Operands.BlockBytes(variant)));
        code.AddRange([0x48, 0xff, 0xc9]); // dec rcx
        JumpIfNotZero(code, block);
        code.AddRange(TileTail);
        JumpIfNotZero(code, tile);
        code.AddRange(GroupTail);
        JumpIfNotZero(code, group);
        code.AddRange(Epilogue);
        return [.. code];
    }

    /// <summary>jne rel32 back to <paramref name="target"/>.</summary>
    private static void JumpIfNotZero(List<byte> code, int target)
    {
        code.AddRange([0x0f, 0x85]);
        code.AddRange(BitConverter.GetBytes(target - (code.Count + 4)));
    }

    private static delegate* unmanaged[SuppressGCTransition]<Arguments*, void> Place(ReadOnlySpan<byte> code)
    {
        // Without the permission AmxSupport asks for, the first tile instruction would kill the process.
        if (!AmxSupport.IsInt8Available)
        {
            throw new PlatformNotSupportedException(AmxSupport.Int8Reason);
        }

        return (delegate* unmanaged[SuppressGCTransition]<Arguments*, void>)ExecutableMemory.Place(code);
    }

    private static byte* MakeConfig()
    {
        var config = (byte*)NativeMemory.AlignedAlloc(64, 64);
        new Span<byte>(config, 64).Clear();
        config[0] = 1; // palette 1
        var colsb = (ushort*)(config + 16);
        var rows = config + 48;
        ReadOnlySpan<byte> heights = [16, 16, 8];
        ReadOnlySpan<ushort> widths = [64, 32, 64];
        for (var t = 0; t < heights.Length; t++)
        {
            colsb[t] = widths[t];
            rows[t] = heights[t];
        }

        return config;
    }


    [StructLayout(LayoutKind.Sequential)]
    private struct Arguments
    {
        public byte* Config;
        public byte* Data;
        public nint DataStride;
        public byte* Scales;
        public nint ScalesStride;
        public byte* Tiles;
        public nint TileStride;
        public nint Groups;
        public nint TileCount;
        public nint Blocks;
        public float* Y;
        public byte* Scratch;
    }
}
