using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Tandem.Engine.Kernels.Amx;

namespace Tandem.Engine.Kernels.Vnni512;

/// <summary>
/// Products of Q8_0 and Q4_0 row groups (<see cref="QuantizedRowGroups"/>) with one token's or four
/// tokens' <see cref="ActivationBlocks"/>, on 512-bit AVX-512 VNNI: a whole group's 16 rows in one
/// register, so a block (16 rows × 32 elements) is 8 <c>vpdpbusd</c> per token with the token's quads
/// broadcast from memory, one <c>vcvtph2ps</c> for the 16 weight scales and one fma per token. The
/// arithmetic is <see cref="QuantizedTiles"/>' canonical order exactly (the integer sums are exact
/// whatever their order; s = d_w · d_x and acc = fma((float)i, s, acc) as there), so results are bit
/// for bit those of the AVX-VNNI tiles and either may serve any token of any batch.
/// </summary>
/// <remarks>
/// <para>
/// Why: the AVX-VNNI tiles need two 256-bit halves per line, the scales widened by integer
/// operations, and the token's quads broadcast by separate loads: about 90 instructions per Q4_0
/// block of a group and token against 38 here, and at four tokens each line is loaded (and Q4_0's
/// nibbles unpacked) once for the four.
/// </para>
/// <para>
/// .NET 10 exposes 512-bit <c>vpdpbusd</c> only under AVX10.2, which Zen 4/5 and most AVX-512 Xeons do
/// not report, so the routines (Q8_0 and Q4_0; one token a group at a time or two, four tokens) are machine code, the assembly
/// beside each instruction's bytes (GNU as, Intel syntax, checked against objdump), placed once in an
/// executable page (<see cref="ExecutableMemory"/>). They need AVX-512 F and BW and AVX512_VNNI (CPUID
/// leaf 7, ECX bit 11); <c>TANDEM_VNNI512=0</c> turns them off (the AVX-VNNI tiles run instead).
/// One token takes two groups at a time (two streams of weights per thread: like eight float rows
/// against four, that kept more of memory busy) and the last one alone when their count is odd.
/// Registers of the one-token routines: rdi = arguments, r8 = the group, r9 = groups left, r10 = y,
/// rsi / rdx / rax = the block's scales, data and activation block, rcx = blocks left, zmm0 = the 16
/// rows' fp32 accumulators, zmm1 / zmm2 = the block's two int32 chains (even and odd quads; zmm1
/// starts at the token's correction c), zmm16 = the block's scales, zmm31 = the Q4_0 nibble mask (the
/// pair routines' and the four-token routines' are in <c>QuantizedMatVec.Code.cs</c>).
/// </para>
/// </remarks>
internal static unsafe partial class QuantizedMatVec
{
    private const int Avx512VnniBit = 1 << 11;

    private static readonly Lazy<Routines?> s_routines = new(Probe);

    private static string? s_reason;

    /// <summary>True when the routines may run in this process.</summary>
    public static bool IsAvailable => s_routines.Value is not null;

    /// <summary>Why they do or do not run, for the start-up log.</summary>
    public static string Reason => IsAvailable ? "AVX-512 VNNI (512-bit vpdpbusd) below 4 tokens and in 4-token tiles" : s_reason ?? "no AVX-512 VNNI";

    /// <summary>
    /// y[16·g + r] = row r of group g · the token, for <paramref name="groups"/> whole groups (16 rows
    /// each, none of them padding) from <paramref name="group"/> on.
    /// </summary>
    /// <param name="q4">Q4_0 row groups; otherwise Q8_0.</param>
    /// <param name="group">The first group's first byte.</param>
    /// <param name="groupBytes">Bytes from one group to the next.</param>
    /// <param name="groups">Groups, at least 1.</param>
    /// <param name="blocks">Blocks of 32 per row, at least 1.</param>
    /// <param name="a">The token's activation blocks.</param>
    /// <param name="y">16 · <paramref name="groups"/> floats.</param>
    public static void Multiply(bool q4, byte* group, nint groupBytes, int groups, int blocks, byte* a, float* y)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        var routines = s_routines.Value ?? throw new PlatformNotSupportedException(Reason);
        var args = new Arguments
        {
            Group = group,
            GroupBytes = groupBytes,
            Groups = groups,
            Blocks = blocks,
            A = a,
            Y = y,
            DataOffset = (nint)blocks * QuantizedRowGroups.ScaleBytes,
        };
        if (groups >= 2)
        {
            // Two groups at a time: two streams of weights per thread kept more of memory busy than one.
            args.Groups = groups / 2;
            (q4 ? routines.Q4Pair : routines.Q8Pair)(&args);
            if (groups % 2 == 0)
            {
                return;
            }

            args.Group = group + ((groups - 1) * groupBytes);
            args.Y = y + ((groups - 1) * QuantizedRowGroups.GroupRows);
            args.Groups = 1;
        }

        (q4 ? routines.Q4 : routines.Q8)(&args);
    }

    /// <summary>
    /// One whole group (16 rows, none padding) times four tokens, over all blocks; each block step
    /// first prefetches <paramref name="lines"/> 64-byte lines from <paramref name="prefetch"/>
    /// (advanced) until <paramref name="prefetchEnd"/>, as <see cref="QuantizedTiles.Group16x4"/> does.
    /// </summary>
    /// <param name="q4">Q4_0 row groups; otherwise Q8_0.</param>
    /// <param name="group">The group's first byte.</param>
    /// <param name="blocks">Blocks of 32 per row, at least 1.</param>
    /// <param name="a">The first token's activation blocks; the others follow at <paramref name="aStride"/> bytes.</param>
    /// <param name="aStride">Bytes from one token's activation blocks to the next's.</param>
    /// <param name="y">The first token's 16 outputs; the others follow at <paramref name="yStride"/> floats.</param>
    /// <param name="yStride">Floats from one token's outputs to the next's.</param>
    /// <param name="prefetch">The next line to prefetch, advanced past the lines prefetched.</param>
    /// <param name="prefetchEnd">Where prefetching stops.</param>
    /// <param name="lines">Lines to prefetch per block step.</param>
    public static void Multiply4(bool q4, byte* group, int blocks, byte* a, nint aStride, float* y, nint yStride, ref byte* prefetch, byte* prefetchEnd, int lines)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        var routines = s_routines.Value ?? throw new PlatformNotSupportedException(Reason);
        var args = new TileArguments
        {
            Group = group,
            Blocks = blocks,
            A = a,
            AStride = aStride,
            Y = y,
            YStrideBytes = yStride * sizeof(float),
            Prefetch = prefetch,
            PrefetchEnd = prefetchEnd,
            Lines = lines,
            DataOffset = (nint)blocks * QuantizedRowGroups.ScaleBytes,
        };
        (q4 ? routines.Q4Tile : routines.Q8Tile)(&args);
        prefetch = args.Prefetch;
    }

    private static Routines? Probe()
    {
        if (Environment.GetEnvironmentVariable("TANDEM_VNNI512") is "0" or "off" or "false")
        {
            s_reason = "AVX-512 VNNI off (TANDEM_VNNI512=0)";
            return null;
        }

        if (!OperatingSystem.IsLinux() || !Avx512BW.IsSupported || !X86Base.IsSupported || (X86Base.CpuId(7, 0).Ecx & Avx512VnniBit) == 0)
        {
            s_reason = "the CPU has no AVX-512 VNNI";
            return null;
        }

        try
        {
            return new Routines(
                (delegate* unmanaged[SuppressGCTransition]<Arguments*, void>)ExecutableMemory.Place(Q8Code),
                (delegate* unmanaged[SuppressGCTransition]<Arguments*, void>)ExecutableMemory.Place(Q4Code),
                (delegate* unmanaged[SuppressGCTransition]<Arguments*, void>)ExecutableMemory.Place(Q8PairCode),
                (delegate* unmanaged[SuppressGCTransition]<Arguments*, void>)ExecutableMemory.Place(Q4PairCode),
                (delegate* unmanaged[SuppressGCTransition]<TileArguments*, void>)ExecutableMemory.Place(Q8TileCode),
                (delegate* unmanaged[SuppressGCTransition]<TileArguments*, void>)ExecutableMemory.Place(Q4TileCode));
        }
        catch (InvalidOperationException e)
        {
            s_reason = e.Message;
            return null;
        }
    }

    private sealed class Routines(
        delegate* unmanaged[SuppressGCTransition]<Arguments*, void> q8,
        delegate* unmanaged[SuppressGCTransition]<Arguments*, void> q4,
        delegate* unmanaged[SuppressGCTransition]<Arguments*, void> q8Pair,
        delegate* unmanaged[SuppressGCTransition]<Arguments*, void> q4Pair,
        delegate* unmanaged[SuppressGCTransition]<TileArguments*, void> q8Tile,
        delegate* unmanaged[SuppressGCTransition]<TileArguments*, void> q4Tile)
    {
        public delegate* unmanaged[SuppressGCTransition]<Arguments*, void> Q8 { get; } = q8;

        public delegate* unmanaged[SuppressGCTransition]<Arguments*, void> Q4 { get; } = q4;

        public delegate* unmanaged[SuppressGCTransition]<Arguments*, void> Q8Pair { get; } = q8Pair;

        public delegate* unmanaged[SuppressGCTransition]<Arguments*, void> Q4Pair { get; } = q4Pair;

        public delegate* unmanaged[SuppressGCTransition]<TileArguments*, void> Q8Tile { get; } = q8Tile;

        public delegate* unmanaged[SuppressGCTransition]<TileArguments*, void> Q4Tile { get; } = q4Tile;
    }

    /// <summary>What a routine reads from rdi: the offsets in its code.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Arguments
    {
        public byte* Group;       // 0x00
        public nint GroupBytes;   // 0x08
        public long Groups;       // 0x10
        public long Blocks;       // 0x18
        public byte* A;           // 0x20
        public float* Y;          // 0x28
        public nint DataOffset;   // 0x30: from a group's first byte to its data (after the scales)
    }

    /// <summary>What a four-token routine reads from rdi (and writes back: the prefetch pointer).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct TileArguments
    {
        public byte* Group;       // 0x00
        public long Blocks;       // 0x08
        public byte* A;           // 0x10
        public nint AStride;      // 0x18
        public float* Y;          // 0x20
        public nint YStrideBytes; // 0x28
        public byte* Prefetch;    // 0x30: read, and written back advanced
        public byte* PrefetchEnd; // 0x38
        public long Lines;        // 0x40
        public nint DataOffset;   // 0x48
    }
}
