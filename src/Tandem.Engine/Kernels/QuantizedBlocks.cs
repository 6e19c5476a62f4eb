using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels;

/// <summary>
/// The weight bytes of one block of 32 columns of a group of 8 rows (<see cref="QuantizedRowGroups"/>),
/// read as unsigned bytes u where weight = (u − <see cref="Offset"/>) · scale. Quad j (0..7) of the
/// block is the 8 rows' elements 4j..4j+3: one 256-bit register whose dword r holds row r's 4 bytes,
/// so that one <c>vpdpbusd</c> with the token's quad j broadcast adds 4 products to each row's sum.
/// </summary>
internal unsafe interface IQuantizedBlocks
{
    /// <summary>Bytes of one block of one group, without the scales: 8 rows × 32 elements.</summary>
    static abstract int DataBytes { get; }

    /// <summary>What the unsigned bytes exceed the signed weights by.</summary>
    static abstract int Offset { get; }

    /// <summary>Quad <paramref name="quad"/> (0..7, a constant where it is inlined): byte 4r + e is u(row r, element 4·quad + e).</summary>
    static abstract Vector256<byte> Load(byte* block, int quad);

    /// <summary>The unsigned byte of (row 0..7, element 0..31) of the block.</summary>
    static abstract int Unsigned(byte* block, int row, int element);

    /// <summary>Writes one GGUF block (fp16 d, then its bytes) of row <paramref name="row"/> into <paramref name="block"/>.</summary>
    static abstract void Pack(byte* gguf, int row, byte* block);
}

/// <summary>
/// Q8_0 (GGUF: 34 bytes, fp16 d then int8 q[32]): u = q + 128, the sign bit flipped when packed;
/// quad j at 32·j.
/// </summary>
internal readonly unsafe struct Q8Blocks : IQuantizedBlocks
{
    public static int DataBytes => 256;

    public static int Offset => 128;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* block, int quad) => Vector256.Load(block + (32 * quad));

    public static int Unsigned(byte* block, int row, int element) => block[(32 * (element / 4)) + (4 * row) + (element % 4)];

    public static void Pack(byte* gguf, int row, byte* block)
    {
        for (var e = 0; e < 32; e++)
        {
            block[(32 * (e / 4)) + (4 * row) + (e % 4)] = (byte)(gguf[2 + e] ^ 0x80);
        }
    }
}

/// <summary>
/// Q4_0 (GGUF: 18 bytes, fp16 d then 16 bytes: byte i holds element i in its low nibble and element
/// i + 16 in its high one, each + 8): u = the nibble. Packed in 4 runs of 32 bytes, run k holding quad
/// 2k in its low nibbles and quad 2k + 1 in its high ones, so a quad is one load, a shift for the odd
/// ones, and a mask.
/// </summary>
internal readonly unsafe struct Q4Blocks : IQuantizedBlocks
{
    public static int DataBytes => 128;

    public static int Offset => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* block, int quad)
    {
        var run = Vector256.Load(block + (32 * (quad / 2)));
        if (quad % 2 == 1)
        {
            run = Avx2.IsSupported ? Avx2.ShiftRightLogical(run.AsUInt16(), 4).AsByte() : (run.AsUInt16() >> 4).AsByte();
        }

        return run & Vector256.Create((byte)0x0F);
    }

    public static int Unsigned(byte* block, int row, int element)
    {
        var b = block[(32 * (element / 8)) + (4 * row) + (element % 4)];
        return element % 8 < 4 ? b & 0xF : b >> 4;
    }

    public static void Pack(byte* gguf, int row, byte* block)
    {
        for (var e = 0; e < 32; e++)
        {
            var u = e < 16 ? gguf[2 + e] & 0xF : gguf[2 + e - 16] >> 4;
            var at = block + (32 * (e / 8)) + (4 * row) + (e % 4);
            *at = (byte)(e % 8 < 4 ? (*at & 0xF0) | u : (*at & 0x0F) | (u << 4));
        }
    }
}
