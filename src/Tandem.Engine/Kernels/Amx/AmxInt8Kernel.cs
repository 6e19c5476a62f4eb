using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tandem.Engine.Kernels.Amx;

/// <summary>
/// Q8_0 and Q4_0 row groups on AMX-INT8 (TDPBSUD): one group (16 weight rows, Q8_0's
/// <see cref="QuantizedRowGroups"/> layout, read in place) times one tile of 16 tokens
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
/// configuration and releases the tiles before returning. Registers: rdi = arguments, r8 = the
/// group's data, r10 = its fp16 scales, rdx = the token tile, rcx = blocks left, rsi = scratch,
/// zmm16 = the block's 16 weight scales, zmm0–15 = the 16 tokens' accumulators.
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
    /// Writes <paramref name="y"/>[token · 16 + row] for the 16 tokens of the tile and the 16 rows of a group.
    /// </summary>
    /// <param name="data">The group's blocks of unsigned bytes (Q8_0's layout: 512 bytes a block, <see cref="QuantizedRowGroups"/>).</param>
    /// <param name="scales">The group's fp16 scales (32 bytes a block).</param>
    /// <param name="blocks">Blocks of 32 per row, at least 1.</param>
    /// <param name="tile">The token tile (<see cref="AmxInt8Operands"/>).</param>
    /// <param name="y">256 floats.</param>
    /// <param name="scratch"><see cref="ScratchBytes"/>, 64-byte aligned.</param>
    public static void Multiply(byte* data, byte* scales, int blocks, byte* tile, float* y, byte* scratch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        var args = new Arguments
        {
            Config = s_config,
            Data = data,
            Scales = scales,
            Tile = tile,
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
        0x48, 0x8b, 0x07,                                           //   1: mov rax,[rdi]
        0xc4, 0xe2, 0x78, 0x49, 0x00,                               //   4: ldtilecfg [rax]
        0x4c, 0x8b, 0x47, 0x08,                                     //   9: mov r8,[rdi+0x8]
        0x4c, 0x8b, 0x57, 0x10,                                     //   d: mov r10,[rdi+0x10]
        0x48, 0x8b, 0x57, 0x18,                                     //  11: mov rdx,[rdi+0x18]
        0x48, 0x8b, 0x4f, 0x20,                                     //  15: mov rcx,[rdi+0x20]
        0x48, 0x8b, 0x77, 0x30,                                     //  19: mov rsi,[rdi+0x30]
        0xb8, 0x20, 0x00, 0x00, 0x00,                               //  1d: mov eax,0x20
        0xbb, 0x40, 0x00, 0x00, 0x00,                               //  22: mov ebx,0x40
        0x62, 0xf1, 0x7d, 0x48, 0xef, 0xc0,                         //  27: vpxord zmm0,zmm0,zmm0
        0x62, 0xf1, 0x75, 0x48, 0xef, 0xc9,                         //  2d: vpxord zmm1,zmm1,zmm1
        0x62, 0xf1, 0x6d, 0x48, 0xef, 0xd2,                         //  33: vpxord zmm2,zmm2,zmm2
        0x62, 0xf1, 0x65, 0x48, 0xef, 0xdb,                         //  39: vpxord zmm3,zmm3,zmm3
        0x62, 0xf1, 0x5d, 0x48, 0xef, 0xe4,                         //  3f: vpxord zmm4,zmm4,zmm4
        0x62, 0xf1, 0x55, 0x48, 0xef, 0xed,                         //  45: vpxord zmm5,zmm5,zmm5
        0x62, 0xf1, 0x4d, 0x48, 0xef, 0xf6,                         //  4b: vpxord zmm6,zmm6,zmm6
        0x62, 0xf1, 0x45, 0x48, 0xef, 0xff,                         //  51: vpxord zmm7,zmm7,zmm7
        0x62, 0x51, 0x3d, 0x48, 0xef, 0xc0,                         //  57: vpxord zmm8,zmm8,zmm8
        0x62, 0x51, 0x35, 0x48, 0xef, 0xc9,                         //  5d: vpxord zmm9,zmm9,zmm9
        0x62, 0x51, 0x2d, 0x48, 0xef, 0xd2,                         //  63: vpxord zmm10,zmm10,zmm10
        0x62, 0x51, 0x25, 0x48, 0xef, 0xdb,                         //  69: vpxord zmm11,zmm11,zmm11
        0x62, 0x51, 0x1d, 0x48, 0xef, 0xe4,                         //  6f: vpxord zmm12,zmm12,zmm12
        0x62, 0x51, 0x15, 0x48, 0xef, 0xed,                         //  75: vpxord zmm13,zmm13,zmm13
        0x62, 0x51, 0x0d, 0x48, 0xef, 0xf6,                         //  7b: vpxord zmm14,zmm14,zmm14
        0x62, 0x51, 0x05, 0x48, 0xef, 0xff,                         //  81: vpxord zmm15,zmm15,zmm15
        0x41, 0x0f, 0x18, 0x88, 0x00, 0x10, 0x00, 0x00,             //  87: prefetcht0 BYTE PTR [r8+0x1000]
        0x41, 0x0f, 0x18, 0x88, 0x40, 0x10, 0x00, 0x00,             //  8f: prefetcht0 BYTE PTR [r8+0x1040]
        0x41, 0x0f, 0x18, 0x88, 0x80, 0x10, 0x00, 0x00,             //  97: prefetcht0 BYTE PTR [r8+0x1080]
        0x41, 0x0f, 0x18, 0x88, 0xc0, 0x10, 0x00, 0x00,             //  9f: prefetcht0 BYTE PTR [r8+0x10c0]
        0x41, 0x0f, 0x18, 0x88, 0x00, 0x11, 0x00, 0x00,             //  a7: prefetcht0 BYTE PTR [r8+0x1100]
        0x41, 0x0f, 0x18, 0x88, 0x40, 0x11, 0x00, 0x00,             //  af: prefetcht0 BYTE PTR [r8+0x1140]
        0x41, 0x0f, 0x18, 0x88, 0x80, 0x11, 0x00, 0x00,             //  b7: prefetcht0 BYTE PTR [r8+0x1180]
        0x41, 0x0f, 0x18, 0x88, 0xc0, 0x11, 0x00, 0x00,             //  bf: prefetcht0 BYTE PTR [r8+0x11c0]
        0x41, 0x0f, 0x18, 0x8a, 0x00, 0x01, 0x00, 0x00,             //  c7: prefetcht0 BYTE PTR [r10+0x100]
        0xc4, 0xe2, 0x7b, 0x4b, 0x84, 0x1a, 0x00, 0x02, 0x00, 0x00, //  cf: tileloadd tmm0,[rdx+rbx*1+0x200]
        0xc4, 0xe2, 0x7b, 0x4b, 0x0c, 0x02,                         //  d9: tileloadd tmm1,[rdx+rax*1]
        0xc4, 0xc2, 0x7b, 0x4b, 0x14, 0x18,                         //  df: tileloadd tmm2,[r8+rbx*1]
        0xc4, 0xe2, 0x6a, 0x5e, 0xc1,                               //  e5: tdpbsud tmm0,tmm1,tmm2
        0xc4, 0xe2, 0x7a, 0x4b, 0x04, 0x1e,                         //  ea: tilestored [rsi+rbx*1],tmm0
        0x62, 0xc2, 0x7d, 0x48, 0x13, 0x02,                         //  f0: vcvtph2ps zmm16,[r10]
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x16,                         //  f6: vcvtdq2ps zmm18,[rsi]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x00, 0x06, 0x00, 0x00, //  fc: vmulps zmm19,zmm16,{1to16} [rdx+0x600]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xc3,                         // 106: vfmadd231ps zmm0,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x01,                   // 10c: vcvtdq2ps zmm18,[rsi+0x40]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x04, 0x06, 0x00, 0x00, // 113: vmulps zmm19,zmm16,{1to16} [rdx+0x604]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xcb,                         // 11d: vfmadd231ps zmm1,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x02,                   // 123: vcvtdq2ps zmm18,[rsi+0x80]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x08, 0x06, 0x00, 0x00, // 12a: vmulps zmm19,zmm16,{1to16} [rdx+0x608]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xd3,                         // 134: vfmadd231ps zmm2,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x03,                   // 13a: vcvtdq2ps zmm18,[rsi+0xc0]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x0c, 0x06, 0x00, 0x00, // 141: vmulps zmm19,zmm16,{1to16} [rdx+0x60c]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xdb,                         // 14b: vfmadd231ps zmm3,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x04,                   // 151: vcvtdq2ps zmm18,[rsi+0x100]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x10, 0x06, 0x00, 0x00, // 158: vmulps zmm19,zmm16,{1to16} [rdx+0x610]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xe3,                         // 162: vfmadd231ps zmm4,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x05,                   // 168: vcvtdq2ps zmm18,[rsi+0x140]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x14, 0x06, 0x00, 0x00, // 16f: vmulps zmm19,zmm16,{1to16} [rdx+0x614]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xeb,                         // 179: vfmadd231ps zmm5,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x06,                   // 17f: vcvtdq2ps zmm18,[rsi+0x180]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x18, 0x06, 0x00, 0x00, // 186: vmulps zmm19,zmm16,{1to16} [rdx+0x618]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xf3,                         // 190: vfmadd231ps zmm6,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x07,                   // 196: vcvtdq2ps zmm18,[rsi+0x1c0]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x1c, 0x06, 0x00, 0x00, // 19d: vmulps zmm19,zmm16,{1to16} [rdx+0x61c]
        0x62, 0xb2, 0x6d, 0x40, 0xb8, 0xfb,                         // 1a7: vfmadd231ps zmm7,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x08,                   // 1ad: vcvtdq2ps zmm18,[rsi+0x200]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x20, 0x06, 0x00, 0x00, // 1b4: vmulps zmm19,zmm16,{1to16} [rdx+0x620]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xc3,                         // 1be: vfmadd231ps zmm8,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x09,                   // 1c4: vcvtdq2ps zmm18,[rsi+0x240]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x24, 0x06, 0x00, 0x00, // 1cb: vmulps zmm19,zmm16,{1to16} [rdx+0x624]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xcb,                         // 1d5: vfmadd231ps zmm9,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0a,                   // 1db: vcvtdq2ps zmm18,[rsi+0x280]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x28, 0x06, 0x00, 0x00, // 1e2: vmulps zmm19,zmm16,{1to16} [rdx+0x628]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xd3,                         // 1ec: vfmadd231ps zmm10,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0b,                   // 1f2: vcvtdq2ps zmm18,[rsi+0x2c0]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x2c, 0x06, 0x00, 0x00, // 1f9: vmulps zmm19,zmm16,{1to16} [rdx+0x62c]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xdb,                         // 203: vfmadd231ps zmm11,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0c,                   // 209: vcvtdq2ps zmm18,[rsi+0x300]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x30, 0x06, 0x00, 0x00, // 210: vmulps zmm19,zmm16,{1to16} [rdx+0x630]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xe3,                         // 21a: vfmadd231ps zmm12,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0d,                   // 220: vcvtdq2ps zmm18,[rsi+0x340]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x34, 0x06, 0x00, 0x00, // 227: vmulps zmm19,zmm16,{1to16} [rdx+0x634]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xeb,                         // 231: vfmadd231ps zmm13,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0e,                   // 237: vcvtdq2ps zmm18,[rsi+0x380]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x38, 0x06, 0x00, 0x00, // 23e: vmulps zmm19,zmm16,{1to16} [rdx+0x638]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xf3,                         // 248: vfmadd231ps zmm14,zmm18,zmm19
        0x62, 0xe1, 0x7c, 0x48, 0x5b, 0x56, 0x0f,                   // 24e: vcvtdq2ps zmm18,[rsi+0x3c0]
        0x62, 0xe1, 0x7c, 0x50, 0x59, 0x9a, 0x3c, 0x06, 0x00, 0x00, // 255: vmulps zmm19,zmm16,{1to16} [rdx+0x63c]
        0x62, 0x32, 0x6d, 0x40, 0xb8, 0xfb,                         // 25f: vfmadd231ps zmm15,zmm18,zmm19
        0x49, 0x81, 0xc0, 0x00, 0x02, 0x00, 0x00,                   // 265: add r8,0x200
        0x49, 0x83, 0xc2, 0x20,                                     // 26c: add r10,0x20
        0x48, 0x81, 0xc2, 0x40, 0x06, 0x00, 0x00,                   // 270: add rdx,0x640
        0x48, 0xff, 0xc9,                                           // 277: dec rcx
        0x0f, 0x85, 0x07, 0xfe, 0xff, 0xff,                         // 27a: jne 87
        0x48, 0x8b, 0x47, 0x28,                                     // 280: mov rax,[rdi+0x28]
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x00,                         // 284: vmovups [rax],zmm0
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x48, 0x01,                   // 28a: vmovups [rax+0x40],zmm1
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x50, 0x02,                   // 291: vmovups [rax+0x80],zmm2
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x58, 0x03,                   // 298: vmovups [rax+0xc0],zmm3
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x60, 0x04,                   // 29f: vmovups [rax+0x100],zmm4
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x68, 0x05,                   // 2a6: vmovups [rax+0x140],zmm5
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x70, 0x06,                   // 2ad: vmovups [rax+0x180],zmm6
        0x62, 0xf1, 0x7c, 0x48, 0x11, 0x78, 0x07,                   // 2b4: vmovups [rax+0x1c0],zmm7
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x40, 0x08,                   // 2bb: vmovups [rax+0x200],zmm8
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x48, 0x09,                   // 2c2: vmovups [rax+0x240],zmm9
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x50, 0x0a,                   // 2c9: vmovups [rax+0x280],zmm10
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x58, 0x0b,                   // 2d0: vmovups [rax+0x2c0],zmm11
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x60, 0x0c,                   // 2d7: vmovups [rax+0x300],zmm12
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x68, 0x0d,                   // 2de: vmovups [rax+0x340],zmm13
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x70, 0x0e,                   // 2e5: vmovups [rax+0x380],zmm14
        0x62, 0x71, 0x7c, 0x48, 0x11, 0x78, 0x0f,                   // 2ec: vmovups [rax+0x3c0],zmm15
        0xc4, 0xe2, 0x78, 0x49, 0xc0,                               // 2f3: tilerelease
        0xc5, 0xf8, 0x77,                                           // 2f8: vzeroupper
        0x5b,                                                       // 2fb: pop rbx
        0xc3,                                                       // 2fc: ret
    ];

    [StructLayout(LayoutKind.Sequential)]
    private struct Arguments
    {
        public byte* Config;
        public byte* Data;
        public byte* Scales;
        public byte* Tile;
        public nint Blocks;
        public float* Y;
        public byte* Scratch;
    }
}
