using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tandem.Engine.Kernels.Amx;

/// <summary>
/// Q8_0 and Q4_0 row groups on AMX-INT8 (TDPBSUD): each of a run of groups (16 weight rows, Q8_0's
/// <see cref="QuantizedRowGroups"/> layout, read in place) times each of a run of tiles of 16 tokens
/// (<see cref="AmxInt8Operands"/>), over all blocks, with exactly the arithmetic of
/// <see cref="QuantizedTiles"/>, so that a token's results are bit for bit those of the AVX-VNNI
/// kernels and either path may serve any batch:
/// <code>
///   per block b:  C (16 tokens × 16 rows, int32) = c(b) + Σ_e q[e] · u[e]     one TDPBSUD
///                 s = d_w(b) · d_x(b);  acc = fma((float)C, s, acc)           AVX-512, 16 rows a vector
/// </code>
/// </summary>
/// <remarks>
/// <para>
/// A block of a group is 16 rows × 32 elements, stored as 8 quads × 16 rows × 4 bytes: exactly a
/// TDPBSUD B tile (8 rows of 64 bytes, row k = elements 4k..4k+3 of the 16 weight rows). The
/// tokens' signed bytes are the A tile (16 rows of 32 bytes), and C starts as the tokens'
/// corrections c = −offset · Σ q, so each C entry is the exact int32 Σ w · q. Per block, the C tile
/// (a 64-byte line per token: its 16 rows) is stored and scaled into 16 fp32 accumulators (zmm0–15,
/// one per token), the blocks in order from 0, as the AVX-VNNI kernel adds them.
/// </para>
/// <para>
/// Q4_0 keeps two quads in one line of nibbles: its groups are widened to Q8_0's byte layout first
/// (<see cref="Widen"/>, once per group, into L2), and then run as Q8_0 does.
/// </para>
/// <para>
/// .NET 10 has no AMX intrinsics: the routine is machine code, the assembly beside each
/// instruction's bytes (GNU as, Intel syntax), placed once in an executable page. It loads its tile
/// configuration once per call (ldtilecfg cost ~13 % of the routine's time when a call was one group
/// and one tile) and releases the tiles before returning. Registers: rdi = arguments, r9/r11 = the
/// group's data and scales, r12 = the token tile, r13/r14 = tiles and groups left, r15 = y, r8/r10/rdx
/// = the block's data, scales and token operands, rcx = blocks left, rsi = scratch, zmm16 = the
/// block's 16 weight scales, zmm0–15 = the 16 tokens' accumulators.
/// </para>
/// </remarks>
internal static unsafe class AmxInt8Kernel
{
    /// <summary>Weight rows per call: one group.</summary>
    public const int Rows = QuantizedRowGroups.GroupRows;

    /// <summary>Tokens per call (the A tile's rows).</summary>
    public const int Tokens = 16;

    /// <summary>Bytes of scratch a call needs (64-byte aligned): the stored C tile.</summary>
    public const int ScratchBytes = 1024;

    /// <summary>Bytes of one block of one group's unsigned bytes.</summary>
    public const int BlockBytes = 512;

    private static readonly delegate* unmanaged[SuppressGCTransition]<Arguments*, void> s_run = Place(Code);

    /// <summary>The one tile configuration: C 16 × 64 bytes (tmm0), A 16 × 32 (tmm1), B 8 × 64 (tmm2).</summary>
    private static readonly byte* s_config = MakeConfig();

    /// <summary>
    /// Runs <paramref name="groups"/> row groups (16 rows each) times <paramref name="tileCount"/> token
    /// tiles (16 tokens each), under one tile configuration: group g's results with tile t go to
    /// <c>y + (g · tileCount + t) · 256</c>, 16 floats per token (its 16 rows).
    /// </summary>
    /// <param name="data">The first group's blocks of unsigned bytes (Q8_0's layout: 512 bytes a block, <see cref="QuantizedRowGroups"/>).</param>
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
    public static void Multiply(byte* data, nint dataStride, byte* scales, nint scalesStride, int groups, byte* tiles, nint tileStride, int tileCount, int blocks, float* y, byte* scratch)
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
        s_run(&args);
    }

    /// <summary>
    /// Widens a Q4_0 group's blocks (<see cref="Q4Blocks"/>: line k of 64 bytes holds quad 2k in its
    /// low nibbles and quad 2k + 1 in its high ones) into Q8_0's layout of unsigned bytes (quad j at
    /// 64 · j), <see cref="BlockBytes"/> a block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Widen(byte* data, int blocks, byte* destination)
    {
        var low = Vector512.Create((byte)0x0F);
        for (var b = 0; b < blocks; b++)
        {
            var source = data + (b * Q4Blocks.DataBytes);
            var target = destination + (b * BlockBytes);
            for (var k = 0; k < 4; k++)
            {
                var line = Vector512.Load(source + (64 * k));
                (line & low).Store(target + (128 * k));
                (Vector512.ShiftRightLogical(line.AsUInt16(), 4).AsByte() & low).Store(target + (128 * k) + 64);
            }
        }
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

    /// <summary>The routine (System V, rdi = <see cref="Arguments"/>*).</summary>
    private static ReadOnlySpan<byte> Code =>
    [
        0x53,                                                       //   0: push rbx
        0x41, 0x54,                                                 //   1: push r12
        0x41, 0x55,                                                 //   3: push r13
        0x41, 0x56,                                                 //   5: push r14
        0x41, 0x57,                                                 //   7: push r15
        0x48, 0x8b, 0x07,                                           //   9: mov rax,[rdi]
        0xc4, 0xe2, 0x78, 0x49, 0x00,                               //   c: ldtilecfg [rax]
        0x4c, 0x8b, 0x4f, 0x08,                                     //  11: mov r9,[rdi+0x8]
        0x4c, 0x8b, 0x5f, 0x18,                                     //  15: mov r11,[rdi+0x18]
        0x4c, 0x8b, 0x77, 0x38,                                     //  19: mov r14,[rdi+0x38]
        0x4c, 0x8b, 0x7f, 0x50,                                     //  1d: mov r15,[rdi+0x50]
        0x48, 0x8b, 0x77, 0x58,                                     //  21: mov rsi,[rdi+0x58]
        0xb8, 0x20, 0x00, 0x00, 0x00,                               //  25: mov eax,0x20
        0xbb, 0x40, 0x00, 0x00, 0x00,                               //  2a: mov ebx,0x40
        0x4c, 0x8b, 0x67, 0x28,                                     //  2f: mov r12,[rdi+0x28]
        0x4c, 0x8b, 0x6f, 0x40,                                     //  33: mov r13,[rdi+0x40]
        0x4d, 0x89, 0xc8,                                           //  37: mov r8,r9
        0x4d, 0x89, 0xda,                                           //  3a: mov r10,r11
        0x4c, 0x89, 0xe2,                                           //  3d: mov rdx,r12
        0x48, 0x8b, 0x4f, 0x48,                                     //  40: mov rcx,[rdi+0x48]
        0x62, 0xf1, 0x7d, 0x48, 0xef, 0xc0,                         //  44: vpxord zmm0,zmm0,zmm0
        0x62, 0xf1, 0x75, 0x48, 0xef, 0xc9,                         //  4a: vpxord zmm1,zmm1,zmm1
        0x62, 0xf1, 0x6d, 0x48, 0xef, 0xd2,                         //  50: vpxord zmm2,zmm2,zmm2
        0x62, 0xf1, 0x65, 0x48, 0xef, 0xdb,                         //  56: vpxord zmm3,zmm3,zmm3
        0x62, 0xf1, 0x5d, 0x48, 0xef, 0xe4,                         //  5c: vpxord zmm4,zmm4,zmm4
        0x62, 0xf1, 0x55, 0x48, 0xef, 0xed,                         //  62: vpxord zmm5,zmm5,zmm5
        0x62, 0xf1, 0x4d, 0x48, 0xef, 0xf6,                         //  68: vpxord zmm6,zmm6,zmm6
        0x62, 0xf1, 0x45, 0x48, 0xef, 0xff,                         //  6e: vpxord zmm7,zmm7,zmm7
        0x62, 0x51, 0x3d, 0x48, 0xef, 0xc0,                         //  74: vpxord zmm8,zmm8,zmm8
        0x62, 0x51, 0x35, 0x48, 0xef, 0xc9,                         //  7a: vpxord zmm9,zmm9,zmm9
        0x62, 0x51, 0x2d, 0x48, 0xef, 0xd2,                         //  80: vpxord zmm10,zmm10,zmm10
        0x62, 0x51, 0x25, 0x48, 0xef, 0xdb,                         //  86: vpxord zmm11,zmm11,zmm11
        0x62, 0x51, 0x1d, 0x48, 0xef, 0xe4,                         //  8c: vpxord zmm12,zmm12,zmm12
        0x62, 0x51, 0x15, 0x48, 0xef, 0xed,                         //  92: vpxord zmm13,zmm13,zmm13
        0x62, 0x51, 0x0d, 0x48, 0xef, 0xf6,                         //  98: vpxord zmm14,zmm14,zmm14
        0x62, 0x51, 0x05, 0x48, 0xef, 0xff,                         //  9e: vpxord zmm15,zmm15,zmm15
        0x41, 0x0f, 0x18, 0x88, 0x00, 0x10, 0x00, 0x00,             //  a4: prefetcht0 BYTE PTR [r8+0x1000]
        0x41, 0x0f, 0x18, 0x88, 0x40, 0x10, 0x00, 0x00,             //  ac: prefetcht0 BYTE PTR [r8+0x1040]
        0x41, 0x0f, 0x18, 0x88, 0x80, 0x10, 0x00, 0x00,             //  b4: prefetcht0 BYTE PTR [r8+0x1080]
        0x41, 0x0f, 0x18, 0x88, 0xc0, 0x10, 0x00, 0x00,             //  bc: prefetcht0 BYTE PTR [r8+0x10c0]
        0x41, 0x0f, 0x18, 0x88, 0x00, 0x11, 0x00, 0x00,             //  c4: prefetcht0 BYTE PTR [r8+0x1100]
        0x41, 0x0f, 0x18, 0x88, 0x40, 0x11, 0x00, 0x00,             //  cc: prefetcht0 BYTE PTR [r8+0x1140]
        0x41, 0x0f, 0x18, 0x88, 0x80, 0x11, 0x00, 0x00,             //  d4: prefetcht0 BYTE PTR [r8+0x1180]
        0x41, 0x0f, 0x18, 0x88, 0xc0, 0x11, 0x00, 0x00,             //  dc: prefetcht0 BYTE PTR [r8+0x11c0]
        0x41, 0x0f, 0x18, 0x8a, 0x00, 0x01, 0x00, 0x00,             //  e4: prefetcht0 BYTE PTR [r10+0x100]
        0xc4, 0xe2, 0x7b, 0x4b, 0x84, 0x1a, 0x00, 0x02, 0x00, 0x00, //  ec: tileloadd tmm0,[rdx+rbx*1+0x200]
        0xc4, 0xe2, 0x7b, 0x4b, 0x0c, 0x02,                         //  f6: tileloadd tmm1,[rdx+rax*1]
        0xc4, 0xc2, 0x7b, 0x4b, 0x14, 0x18,                         //  fc: tileloadd tmm2,[r8+rbx*1]
        0xc4, 0xe2, 0x6a, 0x5e, 0xc1,                               // 102: tdpbsud tmm0,tmm1,tmm2
        0xc4, 0xe2, 0x7a, 0x4b, 0x04, 0x1e,                         // 107: tilestored [rsi+rbx*1],tmm0
        0x62, 0xc2, 0x7d, 0x48, 0x13, 0x02,                         // 10d: vcvtph2ps zmm16,[r10]
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x16,                         // 113: vcvtdq2ps zmm18,[rsi]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x00, 0x06, 0x00, 0x00, // 119: vmulps zmm19,zmm16,{1to16} [rdx+0x600]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xc3,                         // 123: vfmadd231ps zmm0,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x01,                   // 129: vcvtdq2ps zmm18,[rsi+0x40]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x04, 0x06, 0x00, 0x00, // 130: vmulps zmm19,zmm16,{1to16} [rdx+0x604]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xcb,                         // 13a: vfmadd231ps zmm1,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x02,                   // 140: vcvtdq2ps zmm18,[rsi+0x80]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x08, 0x06, 0x00, 0x00, // 147: vmulps zmm19,zmm16,{1to16} [rdx+0x608]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xd3,                         // 151: vfmadd231ps zmm2,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x03,                   // 157: vcvtdq2ps zmm18,[rsi+0xc0]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x0c, 0x06, 0x00, 0x00, // 15e: vmulps zmm19,zmm16,{1to16} [rdx+0x60c]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xdb,                         // 168: vfmadd231ps zmm3,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x04,                   // 16e: vcvtdq2ps zmm18,[rsi+0x100]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x10, 0x06, 0x00, 0x00, // 175: vmulps zmm19,zmm16,{1to16} [rdx+0x610]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xe3,                         // 17f: vfmadd231ps zmm4,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x05,                   // 185: vcvtdq2ps zmm18,[rsi+0x140]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x14, 0x06, 0x00, 0x00, // 18c: vmulps zmm19,zmm16,{1to16} [rdx+0x614]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xeb,                         // 196: vfmadd231ps zmm5,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x06,                   // 19c: vcvtdq2ps zmm18,[rsi+0x180]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x18, 0x06, 0x00, 0x00, // 1a3: vmulps zmm19,zmm16,{1to16} [rdx+0x618]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xf3,                         // 1ad: vfmadd231ps zmm6,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x07,                   // 1b3: vcvtdq2ps zmm18,[rsi+0x1c0]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x1c, 0x06, 0x00, 0x00, // 1ba: vmulps zmm19,zmm16,{1to16} [rdx+0x61c]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xfb,                         // 1c4: vfmadd231ps zmm7,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x08,                   // 1ca: vcvtdq2ps zmm18,[rsi+0x200]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x20, 0x06, 0x00, 0x00, // 1d1: vmulps zmm19,zmm16,{1to16} [rdx+0x620]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xc3,                         // 1db: vfmadd231ps zmm8,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x09,                   // 1e1: vcvtdq2ps zmm18,[rsi+0x240]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x24, 0x06, 0x00, 0x00, // 1e8: vmulps zmm19,zmm16,{1to16} [rdx+0x624]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xcb,                         // 1f2: vfmadd231ps zmm9,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0a,                   // 1f8: vcvtdq2ps zmm18,[rsi+0x280]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x28, 0x06, 0x00, 0x00, // 1ff: vmulps zmm19,zmm16,{1to16} [rdx+0x628]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xd3,                         // 209: vfmadd231ps zmm10,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0b,                   // 20f: vcvtdq2ps zmm18,[rsi+0x2c0]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x2c, 0x06, 0x00, 0x00, // 216: vmulps zmm19,zmm16,{1to16} [rdx+0x62c]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xdb,                         // 220: vfmadd231ps zmm11,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0c,                   // 226: vcvtdq2ps zmm18,[rsi+0x300]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x30, 0x06, 0x00, 0x00, // 22d: vmulps zmm19,zmm16,{1to16} [rdx+0x630]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xe3,                         // 237: vfmadd231ps zmm12,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0d,                   // 23d: vcvtdq2ps zmm18,[rsi+0x340]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x34, 0x06, 0x00, 0x00, // 244: vmulps zmm19,zmm16,{1to16} [rdx+0x634]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xeb,                         // 24e: vfmadd231ps zmm13,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0e,                   // 254: vcvtdq2ps zmm18,[rsi+0x380]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x38, 0x06, 0x00, 0x00, // 25b: vmulps zmm19,zmm16,{1to16} [rdx+0x638]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xf3,                         // 265: vfmadd231ps zmm14,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0f,                   // 26b: vcvtdq2ps zmm18,[rsi+0x3c0]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x3c, 0x06, 0x00, 0x00, // 272: vmulps zmm19,zmm16,{1to16} [rdx+0x63c]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xfb,                         // 27c: vfmadd231ps zmm15,zmm18,zmm19
        0x49, 0x81, 0xc0, 0x00, 0x02, 0x00, 0x00,                   // 282: add r8,0x200
        0x49, 0x83, 0xc2, 0x20,                                     // 289: add r10,0x20
        0x48, 0x81, 0xc2, 0x40, 0x06, 0x00, 0x00,                   // 28d: add rdx,0x640
        0x48, 0xff, 0xc9,                                           // 294: dec rcx
        0x0f, 0x85, 0x07, 0xfe, 0xff, 0xff,                         // 297: jne a4
        0x62, 0xd1, 0x7c, 0x48, 0x11, 0x07,                         // 29d: vmovups [r15],zmm0
        0x62, 0xd1, 0x7c, 0x48, 0x11, 0x4f, 0x01,                   // 2a3: vmovups [r15+0x40],zmm1
        0x62, 0xd1, 0x7c, 0x48, 0x11, 0x57, 0x02,                   // 2aa: vmovups [r15+0x80],zmm2
        0x62, 0xd1, 0x7c, 0x48, 0x11, 0x5f, 0x03,                   // 2b1: vmovups [r15+0xc0],zmm3
        0x62, 0xd1, 0x7c, 0x48, 0x11, 0x67, 0x04,                   // 2b8: vmovups [r15+0x100],zmm4
        0x62, 0xd1, 0x7c, 0x48, 0x11, 0x6f, 0x05,                   // 2bf: vmovups [r15+0x140],zmm5
        0x62, 0xd1, 0x7c, 0x48, 0x11, 0x77, 0x06,                   // 2c6: vmovups [r15+0x180],zmm6
        0x62, 0xd1, 0x7c, 0x48, 0x11, 0x7f, 0x07,                   // 2cd: vmovups [r15+0x1c0],zmm7
        0x62, 0x51, 0x7c, 0x48, 0x11, 0x47, 0x08,                   // 2d4: vmovups [r15+0x200],zmm8
        0x62, 0x51, 0x7c, 0x48, 0x11, 0x4f, 0x09,                   // 2db: vmovups [r15+0x240],zmm9
        0x62, 0x51, 0x7c, 0x48, 0x11, 0x57, 0x0a,                   // 2e2: vmovups [r15+0x280],zmm10
        0x62, 0x51, 0x7c, 0x48, 0x11, 0x5f, 0x0b,                   // 2e9: vmovups [r15+0x2c0],zmm11
        0x62, 0x51, 0x7c, 0x48, 0x11, 0x67, 0x0c,                   // 2f0: vmovups [r15+0x300],zmm12
        0x62, 0x51, 0x7c, 0x48, 0x11, 0x6f, 0x0d,                   // 2f7: vmovups [r15+0x340],zmm13
        0x62, 0x51, 0x7c, 0x48, 0x11, 0x77, 0x0e,                   // 2fe: vmovups [r15+0x380],zmm14
        0x62, 0x51, 0x7c, 0x48, 0x11, 0x7f, 0x0f,                   // 305: vmovups [r15+0x3c0],zmm15
        0x49, 0x81, 0xc7, 0x00, 0x04, 0x00, 0x00,                   // 30c: add r15,0x400
        0x4c, 0x03, 0x67, 0x30,                                     // 313: add r12,[rdi+0x30]
        0x49, 0xff, 0xcd,                                           // 317: dec r13
        0x0f, 0x85, 0x17, 0xfd, 0xff, 0xff,                         // 31a: jne 37
        0x4c, 0x03, 0x4f, 0x10,                                     // 320: add r9,[rdi+0x10]
        0x4c, 0x03, 0x5f, 0x20,                                     // 324: add r11,[rdi+0x20]
        0x49, 0xff, 0xce,                                           // 328: dec r14
        0x0f, 0x85, 0xfe, 0xfc, 0xff, 0xff,                         // 32b: jne 2f
        0xc4, 0xe2, 0x78, 0x49, 0xc0,                               // 331: tilerelease
        0xc5, 0xf8, 0x77,                                           // 336: vzeroupper
        0x41, 0x5f,                                                 // 339: pop r15
        0x41, 0x5e,                                                 // 33b: pop r14
        0x41, 0x5d,                                                 // 33d: pop r13
        0x41, 0x5c,                                                 // 33f: pop r12
        0x5b,                                                       // 341: pop rbx
        0xc3,                                                       // 342: ret
    ];

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
