using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tandem.Engine.Kernels.Amx;

/// <summary>
/// Q8_0 and Q4_0 row groups on AMX-INT8 (TDPBSUD): two groups (16 weight rows, Q8_0's
/// <see cref="QuantizedRowGroups"/> layout, read in place) times one tile of 16 tokens
/// (<see cref="AmxInt8Operands"/>), over all blocks, with exactly the arithmetic of
/// <see cref="QuantizedTiles"/>, so that a token's results are bit for bit those of the AVX-VNNI
/// kernels and either path may serve any batch:
/// <code>
///   per block b:  C (16 tokens × 8 rows, int32) = c(b) + Σ_e q[e] · u[e]      one TDPBSUD per group
///                 s = d_w(b) · d_x(b);  acc = fma((float)C, s, acc)            AVX-512, 16 rows a vector
/// </code>
/// </summary>
/// <remarks>
/// <para>
/// A block of a group is 8 rows × 32 elements, stored as 8 quads × 8 rows × 4 bytes: exactly a
/// TDPBSUD B tile (8 rows of 32 bytes, row k = elements 4k..4k+3 of the 8 weight rows). The
/// tokens' signed bytes are the A tile (16 rows of 32 bytes), and C starts as the tokens'
/// corrections c = −offset · Σ q, so each C entry is the exact int32 Σ w · q. Per block, the two
/// C tiles are stored side by side (a 64-byte line per token: rows 0–7 of group 0, then group 1)
/// and scaled into 16 fp32 accumulators (zmm0–15, one per token), the blocks in order from 0, as
/// the AVX-VNNI kernel adds them.
/// </para>
/// <para>
/// Q4_0 keeps two quads in one run of nibbles: its groups are widened to Q8_0's byte layout first
/// (<see cref="Widen"/>, once per pair of groups, into L2), and then run as Q8_0 does.
/// </para>
/// <para>
/// .NET 10 has no AMX intrinsics: the routine is machine code, the assembly beside each
/// instruction's bytes (GNU as, Intel syntax), placed once in an executable page. It loads its tile
/// configuration and releases the tiles before returning. Registers: rdi = arguments, r8/r9 = the
/// two groups' data, r10/r11 = their fp16 scales, rdx = the token tile, rcx = blocks left, rsi =
/// scratch, zmm16 = the block's 16 weight scales, zmm0–15 = the 16 tokens' accumulators.
/// </para>
/// </remarks>
internal static unsafe class AmxInt8Kernel
{
    /// <summary>Weight rows per call: two groups.</summary>
    public const int Rows = 2 * QuantizedRowGroups.GroupRows;

    /// <summary>Tokens per call (the A tile's rows).</summary>
    public const int Tokens = 16;

    /// <summary>Bytes of scratch a call needs (64-byte aligned): the stored C tiles.</summary>
    public const int ScratchBytes = 1024;

    /// <summary>Bytes of one block of one group's unsigned bytes.</summary>
    public const int BlockBytes = 256;

    private static readonly delegate* unmanaged[SuppressGCTransition]<Arguments*, void> s_run = Place(Code);

    /// <summary>The one tile configuration: C 16 × 32 bytes (tmm0–1), A 16 × 32 (tmm2), B 8 × 32 (tmm3–4).</summary>
    private static readonly byte* s_config = MakeConfig();

    /// <summary>
    /// Writes <paramref name="y"/>[token · 16 + row] for the 16 tokens of the tile and the 16 rows
    /// of two groups (pass the same group twice for one group; its rows then come twice).
    /// </summary>
    /// <param name="data0">First group's blocks of unsigned bytes (Q8_0's layout: 256 bytes a block, <see cref="QuantizedRowGroups"/>).</param>
    /// <param name="scales0">First group's fp16 scales (16 bytes a block).</param>
    /// <param name="data1">Second group's blocks.</param>
    /// <param name="scales1">Second group's scales.</param>
    /// <param name="blocks">Blocks of 32 per row, at least 1.</param>
    /// <param name="tile">The token tile (<see cref="AmxInt8Operands"/>).</param>
    /// <param name="y">256 floats.</param>
    /// <param name="scratch"><see cref="ScratchBytes"/>, 64-byte aligned.</param>
    public static void Multiply(byte* data0, byte* scales0, byte* data1, byte* scales1, int blocks, byte* tile, float* y, byte* scratch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        var args = new Arguments
        {
            Config = s_config,
            Data0 = data0,
            Data1 = data1,
            Scales0 = scales0,
            Scales1 = scales1,
            Tile = tile,
            Blocks = blocks,
            Y = y,
            Scratch = scratch,
        };
        s_run(&args);
    }

    /// <summary>
    /// Widens a Q4_0 group's blocks (<see cref="Q4Blocks"/>: run k of 32 bytes holds quad 2k in its
    /// low nibbles and quad 2k + 1 in its high ones) into Q8_0's layout of unsigned bytes (quad j at
    /// 32 · j), <see cref="BlockBytes"/> a block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Widen(byte* data, int blocks, byte* destination)
    {
        var low = Vector256.Create((byte)0x0F);
        for (var b = 0; b < blocks; b++)
        {
            var source = data + (b * Q4Blocks.DataBytes);
            var target = destination + (b * BlockBytes);
            for (var k = 0; k < 4; k++)
            {
                var run = Vector256.Load(source + (32 * k));
                (run & low).Store(target + (64 * k));
                (Vector256.ShiftRightLogical(run.AsUInt16(), 4).AsByte() & low).Store(target + (64 * k) + 32);
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
        ReadOnlySpan<byte> heights = [16, 16, 16, 8, 8];
        for (var t = 0; t < heights.Length; t++)
        {
            colsb[t] = 32;
            rows[t] = heights[t];
        }

        return config;
    }

    /// <summary>The routine (System V, rdi = <see cref="Arguments"/>*).</summary>
    private static ReadOnlySpan<byte> Code =>
    [
        0x53,                                                       //   0: push rbx
        0x48, 0x8b, 0x07,                                           //   1: mov rax,[rdi]
        0xc4, 0xe2, 0x78, 0x49, 0x00,                               //   4: ldtilecfg [rax]
        0x4c, 0x8b, 0x47, 0x08,                                     //   9: mov r8,[rdi+0x8]
        0x4c, 0x8b, 0x4f, 0x10,                                     //   d: mov r9,[rdi+0x10]
        0x4c, 0x8b, 0x57, 0x18,                                     //  11: mov r10,[rdi+0x18]
        0x4c, 0x8b, 0x5f, 0x20,                                     //  15: mov r11,[rdi+0x20]
        0x48, 0x8b, 0x57, 0x28,                                     //  19: mov rdx,[rdi+0x28]
        0x48, 0x8b, 0x4f, 0x30,                                     //  1d: mov rcx,[rdi+0x30]
        0x48, 0x8b, 0x77, 0x40,                                     //  21: mov rsi,[rdi+0x40]
        0xb8, 0x20, 0x00, 0x00, 0x00,                               //  25: mov eax,0x20
        0xbb, 0x40, 0x00, 0x00, 0x00,                               //  2a: mov ebx,0x40
        0x62, 0xf1, 0x7d, 0x48, 0xef, 0xc0,                         //  2f: vpxord zmm0,zmm0,zmm0
        0x62, 0xf1, 0x75, 0x48, 0xef, 0xc9,                         //  35: vpxord zmm1,zmm1,zmm1
        0x62, 0xf1, 0x6d, 0x48, 0xef, 0xd2,                         //  3b: vpxord zmm2,zmm2,zmm2
        0x62, 0xf1, 0x65, 0x48, 0xef, 0xdb,                         //  41: vpxord zmm3,zmm3,zmm3
        0x62, 0xf1, 0x5d, 0x48, 0xef, 0xe4,                         //  47: vpxord zmm4,zmm4,zmm4
        0x62, 0xf1, 0x55, 0x48, 0xef, 0xed,                         //  4d: vpxord zmm5,zmm5,zmm5
        0x62, 0xf1, 0x4d, 0x48, 0xef, 0xf6,                         //  53: vpxord zmm6,zmm6,zmm6
        0x62, 0xf1, 0x45, 0x48, 0xef, 0xff,                         //  59: vpxord zmm7,zmm7,zmm7
        0x62, 0x51, 0x3d, 0x48, 0xef, 0xc0,                         //  5f: vpxord zmm8,zmm8,zmm8
        0x62, 0x51, 0x35, 0x48, 0xef, 0xc9,                         //  65: vpxord zmm9,zmm9,zmm9
        0x62, 0x51, 0x2d, 0x48, 0xef, 0xd2,                         //  6b: vpxord zmm10,zmm10,zmm10
        0x62, 0x51, 0x25, 0x48, 0xef, 0xdb,                         //  71: vpxord zmm11,zmm11,zmm11
        0x62, 0x51, 0x1d, 0x48, 0xef, 0xe4,                         //  77: vpxord zmm12,zmm12,zmm12
        0x62, 0x51, 0x15, 0x48, 0xef, 0xed,                         //  7d: vpxord zmm13,zmm13,zmm13
        0x62, 0x51, 0x0d, 0x48, 0xef, 0xf6,                         //  83: vpxord zmm14,zmm14,zmm14
        0x62, 0x51, 0x05, 0x48, 0xef, 0xff,                         //  89: vpxord zmm15,zmm15,zmm15
        0x41, 0x0f, 0x18, 0x88, 0x00, 0x10, 0x00, 0x00,             //  8f: prefetcht0 BYTE PTR [r8+0x1000]
        0x41, 0x0f, 0x18, 0x89, 0x00, 0x10, 0x00, 0x00,             //  97: prefetcht0 BYTE PTR [r9+0x1000]
        0x41, 0x0f, 0x18, 0x88, 0x40, 0x10, 0x00, 0x00,             //  9f: prefetcht0 BYTE PTR [r8+0x1040]
        0x41, 0x0f, 0x18, 0x89, 0x40, 0x10, 0x00, 0x00,             //  a7: prefetcht0 BYTE PTR [r9+0x1040]
        0x41, 0x0f, 0x18, 0x88, 0x80, 0x10, 0x00, 0x00,             //  af: prefetcht0 BYTE PTR [r8+0x1080]
        0x41, 0x0f, 0x18, 0x89, 0x80, 0x10, 0x00, 0x00,             //  b7: prefetcht0 BYTE PTR [r9+0x1080]
        0x41, 0x0f, 0x18, 0x88, 0xc0, 0x10, 0x00, 0x00,             //  bf: prefetcht0 BYTE PTR [r8+0x10c0]
        0x41, 0x0f, 0x18, 0x89, 0xc0, 0x10, 0x00, 0x00,             //  c7: prefetcht0 BYTE PTR [r9+0x10c0]
        0x41, 0x0f, 0x18, 0x8a, 0x00, 0x01, 0x00, 0x00,             //  cf: prefetcht0 BYTE PTR [r10+0x100]
        0x41, 0x0f, 0x18, 0x8b, 0x00, 0x01, 0x00, 0x00,             //  d7: prefetcht0 BYTE PTR [r11+0x100]
        0xc4, 0xe2, 0x7b, 0x4b, 0x84, 0x02, 0x00, 0x02, 0x00, 0x00, //  df: tileloadd tmm0,[rdx+rax*1+0x200]
        0xc4, 0xe2, 0x7b, 0x4b, 0x8c, 0x02, 0x00, 0x02, 0x00, 0x00, //  e9: tileloadd tmm1,[rdx+rax*1+0x200]
        0xc4, 0xe2, 0x7b, 0x4b, 0x14, 0x02,                         //  f3: tileloadd tmm2,[rdx+rax*1]
        0xc4, 0xc2, 0x7b, 0x4b, 0x1c, 0x00,                         //  f9: tileloadd tmm3,[r8+rax*1]
        0xc4, 0xc2, 0x7b, 0x4b, 0x24, 0x01,                         //  ff: tileloadd tmm4,[r9+rax*1]
        0xc4, 0xe2, 0x62, 0x5e, 0xc2,                               // 105: tdpbsud tmm0,tmm2,tmm3
        0xc4, 0xe2, 0x5a, 0x5e, 0xca,                               // 10a: tdpbsud tmm1,tmm2,tmm4
        0xc4, 0xe2, 0x7a, 0x4b, 0x04, 0x1e,                         // 10f: tilestored [rsi+rbx*1],tmm0
        0xc4, 0xe2, 0x7a, 0x4b, 0x4c, 0x1e, 0x20,                   // 115: tilestored [rsi+rbx*1+0x20],tmm1
        0x62, 0xc2, 0x7d, 0x28, 0x13, 0x02,                         // 11c: vcvtph2ps ymm16,[r10]
        0x62, 0xc2, 0x7d, 0x28, 0x13, 0x0b,                         // 122: vcvtph2ps ymm17,[r11]
        0x62, 0xa3, 0x7d, 0x40, 0x1a, 0xc1, 0x01,                   // 128: vinsertf32x8 zmm16,zmm16,ymm17,0x1
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x16,                         // 12f: vcvtdq2ps zmm18,[rsi]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x00, 0x04, 0x00, 0x00, // 135: vmulps zmm19,zmm16,{1to16} [rdx+0x400]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xc3,                         // 13f: vfmadd231ps zmm0,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x01,                   // 145: vcvtdq2ps zmm18,[rsi+0x40]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x04, 0x04, 0x00, 0x00, // 14c: vmulps zmm19,zmm16,{1to16} [rdx+0x404]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xcb,                         // 156: vfmadd231ps zmm1,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x02,                   // 15c: vcvtdq2ps zmm18,[rsi+0x80]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x08, 0x04, 0x00, 0x00, // 163: vmulps zmm19,zmm16,{1to16} [rdx+0x408]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xd3,                         // 16d: vfmadd231ps zmm2,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x03,                   // 173: vcvtdq2ps zmm18,[rsi+0xc0]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x0c, 0x04, 0x00, 0x00, // 17a: vmulps zmm19,zmm16,{1to16} [rdx+0x40c]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xdb,                         // 184: vfmadd231ps zmm3,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x04,                   // 18a: vcvtdq2ps zmm18,[rsi+0x100]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x10, 0x04, 0x00, 0x00, // 191: vmulps zmm19,zmm16,{1to16} [rdx+0x410]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xe3,                         // 19b: vfmadd231ps zmm4,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x05,                   // 1a1: vcvtdq2ps zmm18,[rsi+0x140]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x14, 0x04, 0x00, 0x00, // 1a8: vmulps zmm19,zmm16,{1to16} [rdx+0x414]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xeb,                         // 1b2: vfmadd231ps zmm5,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x06,                   // 1b8: vcvtdq2ps zmm18,[rsi+0x180]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x18, 0x04, 0x00, 0x00, // 1bf: vmulps zmm19,zmm16,{1to16} [rdx+0x418]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xf3,                         // 1c9: vfmadd231ps zmm6,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x07,                   // 1cf: vcvtdq2ps zmm18,[rsi+0x1c0]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x1c, 0x04, 0x00, 0x00, // 1d6: vmulps zmm19,zmm16,{1to16} [rdx+0x41c]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xfb,                         // 1e0: vfmadd231ps zmm7,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x08,                   // 1e6: vcvtdq2ps zmm18,[rsi+0x200]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x20, 0x04, 0x00, 0x00, // 1ed: vmulps zmm19,zmm16,{1to16} [rdx+0x420]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xc3,                         // 1f7: vfmadd231ps zmm8,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x09,                   // 1fd: vcvtdq2ps zmm18,[rsi+0x240]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x24, 0x04, 0x00, 0x00, // 204: vmulps zmm19,zmm16,{1to16} [rdx+0x424]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xcb,                         // 20e: vfmadd231ps zmm9,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0a,                   // 214: vcvtdq2ps zmm18,[rsi+0x280]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x28, 0x04, 0x00, 0x00, // 21b: vmulps zmm19,zmm16,{1to16} [rdx+0x428]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xd3,                         // 225: vfmadd231ps zmm10,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0b,                   // 22b: vcvtdq2ps zmm18,[rsi+0x2c0]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x2c, 0x04, 0x00, 0x00, // 232: vmulps zmm19,zmm16,{1to16} [rdx+0x42c]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xdb,                         // 23c: vfmadd231ps zmm11,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0c,                   // 242: vcvtdq2ps zmm18,[rsi+0x300]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x30, 0x04, 0x00, 0x00, // 249: vmulps zmm19,zmm16,{1to16} [rdx+0x430]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xe3,                         // 253: vfmadd231ps zmm12,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0d,                   // 259: vcvtdq2ps zmm18,[rsi+0x340]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x34, 0x04, 0x00, 0x00, // 260: vmulps zmm19,zmm16,{1to16} [rdx+0x434]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xeb,                         // 26a: vfmadd231ps zmm13,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0e,                   // 270: vcvtdq2ps zmm18,[rsi+0x380]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x38, 0x04, 0x00, 0x00, // 277: vmulps zmm19,zmm16,{1to16} [rdx+0x438]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xf3,                         // 281: vfmadd231ps zmm14,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0f,                   // 287: vcvtdq2ps zmm18,[rsi+0x3c0]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x3c, 0x04, 0x00, 0x00, // 28e: vmulps zmm19,zmm16,{1to16} [rdx+0x43c]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xfb,                         // 298: vfmadd231ps zmm15,zmm18,zmm19
        0x49, 0x81, 0xc0, 0x00, 0x01, 0x00, 0x00,                   // 29e: add r8,0x100
        0x49, 0x81, 0xc1, 0x00, 0x01, 0x00, 0x00,                   // 2a5: add r9,0x100
        0x49, 0x83, 0xc2, 0x10,                                     // 2ac: add r10,0x10
        0x49, 0x83, 0xc3, 0x10,                                     // 2b0: add r11,0x10
        0x48, 0x81, 0xc2, 0x40, 0x04, 0x00, 0x00,                   // 2b4: add rdx,0x440
        0x48, 0xff, 0xc9,                                           // 2bb: dec rcx
        0x0f, 0x85, 0xcb, 0xfd, 0xff, 0xff,                         // 2be: jne 0x8f
        0x48, 0x8b, 0x47, 0x38,                                     // 2c4: mov rax,[rdi+0x38]
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x00,                         // 2c8: vmovups [rax],zmm0
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x48, 0x01,                   // 2ce: vmovups [rax+0x40],zmm1
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x50, 0x02,                   // 2d5: vmovups [rax+0x80],zmm2
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x58, 0x03,                   // 2dc: vmovups [rax+0xc0],zmm3
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x60, 0x04,                   // 2e3: vmovups [rax+0x100],zmm4
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x68, 0x05,                   // 2ea: vmovups [rax+0x140],zmm5
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x70, 0x06,                   // 2f1: vmovups [rax+0x180],zmm6
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x78, 0x07,                   // 2f8: vmovups [rax+0x1c0],zmm7
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x40, 0x08,                   // 2ff: vmovups [rax+0x200],zmm8
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x48, 0x09,                   // 306: vmovups [rax+0x240],zmm9
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x50, 0x0a,                   // 30d: vmovups [rax+0x280],zmm10
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x58, 0x0b,                   // 314: vmovups [rax+0x2c0],zmm11
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x60, 0x0c,                   // 31b: vmovups [rax+0x300],zmm12
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x68, 0x0d,                   // 322: vmovups [rax+0x340],zmm13
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x70, 0x0e,                   // 329: vmovups [rax+0x380],zmm14
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x78, 0x0f,                   // 330: vmovups [rax+0x3c0],zmm15
        0xc4, 0xe2, 0x78, 0x49, 0xc0,                               // 337: tilerelease
        0xc5, 0xf8, 0x77,                                           // 33c: vzeroupper
        0x5b,                                                       // 33f: pop rbx
        0xc3,                                                       // 340: ret
    ];

    [StructLayout(LayoutKind.Sequential)]
    private struct Arguments
    {
        public byte* Config;
        public byte* Data0;
        public byte* Data1;
        public byte* Scales0;
        public byte* Scales1;
        public byte* Tile;
        public nint Blocks;
        public float* Y;
        public byte* Scratch;
    }
}
