using System.Runtime.InteropServices;

namespace Tandem.Engine.Kernels.Amx;

/// <summary>
/// One BF16 tile product on AMX (TDPBF16PS) for a block of 32 weight rows and one or two groups of
/// up to 5 tokens, over <c>steps</c> × 32 columns. The tokens are the A operand: each token is three
/// rows, its BF16 parts h, m, l (<see cref="AmxBf16Operands"/>); the weights are the B operand, two
/// tiles of 16 rows (<see cref="AmxTileRows"/>). Four fp32 C tiles (group × weight half) hold, per
/// token part, the 16 weight rows' sums; the caller adds each token's three rows as <c>h + (m + l)</c>.
/// </summary>
/// <remarks>
/// .NET 10 exposes no AMX intrinsics, so the loop is a short routine of machine code, written in
/// the assembly beside the bytes and placed in an executable page once
/// (<see cref="ExecutableMemory"/>). It loads its own tile configuration and releases the tiles
/// before returning, so no tile state lives outside a call. Tiles: tmm0–1 = C of group 0 (weight
/// rows 0–15, 16–31), tmm2–3 = C of group 1, tmm4–5 = A (group 0, group 1; 3 rows per token of 32
/// BF16), tmm6–7 = B (weight rows 0–15, 16–31; 16 column pairs × 16 rows). Each weight tile serves
/// both groups and each token tile both weight halves; the four accumulators are independent.
/// A token tile has 3 rows per token, and the tile unit's time grows with A's rows, so one token
/// costs a fifth of a full tile.
/// </remarks>
internal static unsafe class AmxBf16Kernel
{
    /// <summary>Rows of weights per call.</summary>
    public const int Rows = 32;

    /// <summary>Tokens per group (A tile) at most: 3 rows each, 15 of the tile's 16.</summary>
    public const int GroupTokens = 5;

    /// <summary>Columns per step (one 64-byte tile row).</summary>
    public const int Columns = 32;

    /// <summary>Floats of one stored C tile: 16 rows of 16.</summary>
    public const int CFloats = 256;

    /// <summary>
    /// Cache lines of weights prefetched per step (every other line of the step's 2 KiB; the
    /// adjacent-line prefetcher brings the rest), and how far ahead: measured on the development VM,
    /// 2 threads streaming 1 GiB through tile loads, 23–26 GB/s as a plain AVX-512 read loop does,
    /// against 16.5 GB/s without prefetches and 21–23 GB/s with all 32 lines.
    /// </summary>
    private const int PrefetchLines = 16, PrefetchBytes = 4096;

    private static readonly delegate* unmanaged[SuppressGCTransition]<Arguments*, void> s_runTwo = Place(twoGroups: true);

    private static readonly delegate* unmanaged[SuppressGCTransition]<Arguments*, void> s_runOne = Place(twoGroups: false);

    /// <summary>Tile configurations for groups of (1..5, 1..5) tokens, 64 bytes each.</summary>
    private static readonly byte* s_configs = MakeConfigs();

    /// <summary>
    /// C tiles at <paramref name="c"/> (4 × <see cref="CFloats"/>, 64-byte aligned): tile 2q + h holds
    /// group q's token parts (row 3t + p) × weight rows 16h..16h + 15, rows 16 floats apart.
    /// </summary>
    /// <param name="w">The 32-row block's first step in <see cref="AmxTileRows"/> layout.</param>
    /// <param name="x0">Group 0's first step (<see cref="AmxBf16Operands"/>).</param>
    /// <param name="tokens0">Tokens in group 0, 1..5.</param>
    /// <param name="x1">Group 1's first step, or null when there is no second group.</param>
    /// <param name="tokens1">Tokens in group 1, 1..5 (ignored without a second group).</param>
    /// <param name="steps">Steps of 32 columns, at least 1.</param>
    /// <param name="c">Room for the four C tiles.</param>
    public static void Multiply(byte* w, byte* x0, int tokens0, byte* x1, int tokens1, int steps, float* c)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        tokens1 = x1 == null ? 1 : tokens1;
        ArgumentOutOfRangeException.ThrowIfLessThan(Math.Min(tokens0, tokens1), 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Math.Max(tokens0, tokens1), GroupTokens);
        var args = new Arguments
        {
            Config = s_configs + ((((tokens0 - 1) * GroupTokens) + tokens1 - 1) * 64),
            W = w,
            X0 = x0,
            X1 = x1,
            Steps = steps,
            C = c,
        };
        if (x1 == null)
        {
            s_runOne(&args);
        }
        else
        {
            s_runTwo(&args);
        }
    }

    /// <summary>The routine, System V calling convention, rdi = Arguments*; bytes as GNU as encodes the assembly.</summary>
    private static byte[] Code(bool twoGroups)
    {
        var code = new List<byte>();
        code.AddRange(
        [
            0x53,                                     // push rbx
            0x48, 0x8b, 0x07,                         // mov rax, [rdi]          ; tile configuration
            0xc4, 0xe2, 0x78, 0x49, 0x00,             // ldtilecfg [rax]
            0x48, 0x8b, 0x47, 0x08,                   // mov rax, [rdi+0x08]     ; W, rows 0–15
            0x48, 0x8d, 0x98, 0x00, 0x04, 0x00, 0x00, // lea rbx, [rax+0x400]    ; W, rows 16–31
            0x48, 0x8b, 0x57, 0x10,                   // mov rdx, [rdi+0x10]     ; X0
            0x48, 0x8b, 0x77, 0x18,                   // mov rsi, [rdi+0x18]     ; X1
            0x48, 0x8b, 0x4f, 0x20,                   // mov rcx, [rdi+0x20]     ; steps (>= 1)
            0x49, 0xc7, 0xc2, 0x40, 0x00, 0x00, 0x00, // mov r10, 0x40           ; every tile row is 64 bytes
            0xc4, 0xe2, 0x7b, 0x49, 0xc0,             // tilezero tmm0
            0xc4, 0xe2, 0x7b, 0x49, 0xc8,             // tilezero tmm1
            0xc4, 0xe2, 0x7b, 0x49, 0xd0,             // tilezero tmm2
            0xc4, 0xe2, 0x7b, 0x49, 0xd8,             // tilezero tmm3
        ]);
        var loop = code.Count;
        for (var line = 0; line < PrefetchLines; line++)
        {
            code.AddRange([0x0f, 0x18, 0x88]);          // loop: prefetcht0 [rax + PrefetchBytes + 128 × line]
            code.AddRange(BitConverter.GetBytes(PrefetchBytes + (AmxTileRows.StepBytes / PrefetchLines * line)));
        }

        for (var line = 0; line < 16; line++)
        {
            // The token tiles come from L2 (a group is 1 KiB a step): a tile load that waits on L2 holds the step up.
            code.AddRange([0x0f, 0x18, 0x8a]);          // prefetcht0 [rdx + 2 steps + 64 × line]
            code.AddRange(BitConverter.GetBytes((2 * AmxBf16Operands.StepBytes) + (64 * line)));
            if (twoGroups)
            {
                code.AddRange([0x0f, 0x18, 0x8e]);      // prefetcht0 [rsi + 2 steps + 64 × line]
                code.AddRange(BitConverter.GetBytes((2 * AmxBf16Operands.StepBytes) + (64 * line)));
            }
        }

        code.AddRange(
        [
            0xc4, 0xa2, 0x7b, 0x4b, 0x34, 0x10,       // tileloadd tmm6, [rax+r10*1]
            0xc4, 0xa2, 0x7b, 0x4b, 0x24, 0x12,       // tileloadd tmm4, [rdx+r10*1]
            0xc4, 0xe2, 0x4a, 0x5c, 0xc4,             // tdpbf16ps tmm0, tmm4, tmm6
            0xc4, 0xa2, 0x7b, 0x4b, 0x3c, 0x13,       // tileloadd tmm7, [rbx+r10*1]
            0xc4, 0xe2, 0x42, 0x5c, 0xcc,             // tdpbf16ps tmm1, tmm4, tmm7
        ]);
        if (twoGroups)
        {
            code.AddRange(
            [
                0xc4, 0xa2, 0x7b, 0x4b, 0x2c, 0x16,   // tileloadd tmm5, [rsi+r10*1]
                0xc4, 0xe2, 0x4a, 0x5c, 0xd5,         // tdpbf16ps tmm2, tmm5, tmm6
                0xc4, 0xe2, 0x42, 0x5c, 0xdd,         // tdpbf16ps tmm3, tmm5, tmm7
                0x48, 0x81, 0xc6, 0x00, 0x04, 0x00, 0x00, // add rsi, 0x400
            ]);
        }

        code.AddRange(
        [
            0x48, 0x05, 0x00, 0x08, 0x00, 0x00,       // add rax, 0x800          ; next step
            0x48, 0x81, 0xc3, 0x00, 0x08, 0x00, 0x00, // add rbx, 0x800
            0x48, 0x81, 0xc2, 0x00, 0x04, 0x00, 0x00, // add rdx, 0x400
            0x48, 0xff, 0xc9,                         // dec rcx
            0x0f, 0x85,                               // jnz loop (rel32 below)
        ]);
        code.AddRange(BitConverter.GetBytes(loop - (code.Count + 4)));
        code.AddRange(
        [
            0x48, 0x8b, 0x47, 0x28,                   // mov rax, [rdi+0x28]     ; C
            0xc4, 0xa2, 0x7a, 0x4b, 0x04, 0x10,       // tilestored [rax+r10*1], tmm0
            0x48, 0x05, 0x00, 0x04, 0x00, 0x00,       // add rax, 0x400
            0xc4, 0xa2, 0x7a, 0x4b, 0x0c, 0x10,       // tilestored [rax+r10*1], tmm1
            0x48, 0x05, 0x00, 0x04, 0x00, 0x00,       // add rax, 0x400
            0xc4, 0xa2, 0x7a, 0x4b, 0x14, 0x10,       // tilestored [rax+r10*1], tmm2
            0x48, 0x05, 0x00, 0x04, 0x00, 0x00,       // add rax, 0x400
            0xc4, 0xa2, 0x7a, 0x4b, 0x1c, 0x10,       // tilestored [rax+r10*1], tmm3
            0xc4, 0xe2, 0x78, 0x49, 0xc0,             // tilerelease
            0x5b,                                     // pop rbx
            0xc3,                                     // ret
        ]);
        return [.. code];
    }

    private static delegate* unmanaged[SuppressGCTransition]<Arguments*, void> Place(bool twoGroups)
    {
        // Without the permission AmxSupport asks for, the first tile instruction would kill the process.
        if (!AmxSupport.IsAvailable)
        {
            throw new PlatformNotSupportedException(AmxSupport.Reason);
        }

        return (delegate* unmanaged[SuppressGCTransition]<Arguments*, void>)ExecutableMemory.Place(Code(twoGroups));
    }

    private static byte* MakeConfigs()
    {
        const int Count = GroupTokens * GroupTokens;
        var configs = (byte*)NativeMemory.AlignedAlloc(Count * 64, 64);
        new Span<byte>(configs, Count * 64).Clear();
        for (var g0 = 1; g0 <= GroupTokens; g0++)
        {
            for (var g1 = 1; g1 <= GroupTokens; g1++)
            {
                var config = configs + ((((g0 - 1) * GroupTokens) + g1 - 1) * 64);
                config[0] = 1; // palette 1
                var colsb = (ushort*)(config + 16);
                var rows = config + 48;
                ReadOnlySpan<int> heights = [3 * g0, 3 * g0, 3 * g1, 3 * g1, 3 * g0, 3 * g1, 16, 16];
                for (var t = 0; t < heights.Length; t++)
                {
                    colsb[t] = 64;
                    rows[t] = (byte)heights[t];
                }
            }
        }

        return configs;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Arguments
    {
        public byte* Config;
        public byte* W;
        public byte* X0;
        public byte* X1;
        public nint Steps;
        public float* C;
    }
}
