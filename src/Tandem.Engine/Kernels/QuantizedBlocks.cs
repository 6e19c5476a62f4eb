using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels;

/// <summary>
/// The weight bytes of one block of 32 columns of a group of 16 rows (<see cref="QuantizedRowGroups"/>),
/// read as unsigned bytes u where weight = (u − <see cref="Offset"/>) · scale. Quad j (0..7) of the
/// block is the 16 rows' elements 4j..4j+3, a 64-byte line whose dword r holds row r's 4 bytes; each
/// half of it (8 rows) is one 256-bit register, so that one <c>vpdpbusd</c> with the token's quad j
/// broadcast adds 4 products to each of 8 rows' sums.
/// </summary>
internal unsafe interface IQuantizedBlocks
{
    /// <summary>Bytes of one block of one group, without the scales: 16 rows × 32 elements.</summary>
    static abstract int DataBytes { get; }

    /// <summary>What the unsigned bytes exceed the signed weights by.</summary>
    static abstract int Offset { get; }

    /// <summary>
    /// Quad <paramref name="quad"/> (0..7, a constant where it is inlined) of half <paramref name="half"/>
    /// (0 or 1): byte 4r + e is u(row 8·half + r, element 4·quad + e).
    /// </summary>
    static abstract Vector256<byte> Load(byte* block, int half, int quad);

    /// <summary>Quad <paramref name="quad"/> of all 16 rows (one 64-byte line): byte 4r + e is u(row r, element 4·quad + e).</summary>
    static abstract Vector512<byte> Load(byte* block, int quad);

    /// <summary>The unsigned byte of (row 0..15, element 0..31) of the block.</summary>
    static abstract int Unsigned(byte* block, int row, int element);

    /// <summary>Writes one GGUF block (fp16 d, then its bytes) of row <paramref name="row"/> into <paramref name="block"/>.</summary>
    static abstract void Pack(byte* gguf, int row, byte* block);
}

/// <summary>
/// Q8_0 (GGUF: 34 bytes, fp16 d then int8 q[32]): u = q + 128, the sign bit flipped when packed;
/// quad j at 64·j.
/// </summary>
internal readonly unsafe struct Q8Blocks : IQuantizedBlocks
{
    public static int DataBytes => 512;

    public static int Offset => 128;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* block, int half, int quad) => Vector256.Load(block + (64 * quad) + (32 * half));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Load(byte* block, int quad) => Vector512.Load(block + (64 * quad));

    public static int Unsigned(byte* block, int row, int element) => block[(64 * (element / 4)) + (4 * row) + (element % 4)];

    public static void Pack(byte* gguf, int row, byte* block)
    {
        // Quad j is the j-th 4 bytes of q, its sign bits flipped: 8 dword copies.
        for (var j = 0; j < 8; j++)
        {
            Unsafe.WriteUnaligned(block + (64 * j) + (4 * row), Unsafe.ReadUnaligned<uint>(gguf + 2 + (4 * j)) ^ 0x8080_8080u);
        }
    }
}

/// <summary>
/// Q4_0 (GGUF: 18 bytes, fp16 d then 16 bytes: byte i holds element i in its low nibble and element
/// i + 16 in its high one, each + 8): u = the nibble. Packed in 4 lines of 64 bytes, line k holding quad
/// 2k in its low nibbles and quad 2k + 1 in its high ones (dword r = row r), so a half's quad is one
/// load, a shift for the odd ones, and a mask.
/// </summary>
internal readonly unsafe struct Q4Blocks : IQuantizedBlocks
{
    public static int DataBytes => 256;

    public static int Offset => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* block, int half, int quad)
    {
        var run = Vector256.Load(block + (64 * (quad / 2)) + (32 * half));
        if (quad % 2 == 1)
        {
            run = Avx2.IsSupported ? Avx2.ShiftRightLogical(run.AsUInt16(), 4).AsByte() : (run.AsUInt16() >> 4).AsByte();
        }

        return run & Vector256.Create((byte)0x0F);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Load(byte* block, int quad)
    {
        var line = Vector512.Load(block + (64 * (quad / 2)));
        if (quad % 2 == 1)
        {
            line = Vector512.ShiftRightLogical(line.AsUInt16(), 4).AsByte();
        }

        return line & Vector512.Create((byte)0x0F);
    }

    public static int Unsigned(byte* block, int row, int element)
    {
        var b = block[(64 * (element / 8)) + (4 * row) + (element % 4)];
        return element % 8 < 4 ? b & 0xF : b >> 4;
    }

    public static void Pack(byte* gguf, int row, byte* block)
    {
        // w0..w3 = the 16 bytes as dwords; elements 0..15 are their low nibbles, 16..31 their high ones.
        const uint low = 0x0F0F_0F0Fu;
        var w0 = Unsafe.ReadUnaligned<uint>(gguf + 2);
        var w1 = Unsafe.ReadUnaligned<uint>(gguf + 6);
        var w2 = Unsafe.ReadUnaligned<uint>(gguf + 10);
        var w3 = Unsafe.ReadUnaligned<uint>(gguf + 14);
        var at = block + (4 * row);
        Unsafe.WriteUnaligned(at, (w0 & low) | ((w1 & low) << 4));
        Unsafe.WriteUnaligned(at + 64, (w2 & low) | ((w3 & low) << 4));
        Unsafe.WriteUnaligned(at + 128, ((w0 >> 4) & low) | (w1 & ~low));
        Unsafe.WriteUnaligned(at + 192, ((w2 >> 4) & low) | (w3 & ~low));
    }
}
