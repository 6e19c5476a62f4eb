using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Kernels;

/// <summary>
/// A GGUF block type of 32 weights with an fp16 scale in its first two bytes, read as 32 unsigned
/// bytes u in element order where weight = (u − <see cref="Offset"/>) · scale.
/// </summary>
internal unsafe interface IQuantizedBlocks
{
    /// <summary>Bytes of one block in storage.</summary>
    static abstract int BlockBytes { get; }

    /// <summary>What the unsigned bytes exceed the signed weights by.</summary>
    static abstract int Offset { get; }

    /// <summary>The block's 32 unsigned bytes, element 0 first.</summary>
    static abstract Vector256<byte> Load(byte* block);

    /// <summary>The unsigned byte of element <paramref name="element"/> (0..31).</summary>
    static abstract int Unsigned(byte* block, int element);
}

/// <summary>Q8_0 (34 bytes: fp16 d, int8 q[32]): u = q + 128, the sign bit flipped.</summary>
internal readonly unsafe struct Q8Blocks : IQuantizedBlocks
{
    public static int BlockBytes => 34;

    public static int Offset => 128;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* block) => Vector256.Load(block + 2) ^ Vector256.Create((byte)0x80);

    public static int Unsigned(byte* block, int element) => block[2 + element] ^ 0x80;
}

/// <summary>Q4_0 (18 bytes: fp16 d, 16 bytes): byte j holds element j in its low nibble and element j + 16 in its high one, each + 8.</summary>
internal readonly unsafe struct Q4Blocks : IQuantizedBlocks
{
    public static int BlockBytes => 18;

    public static int Offset => 8;

    /// <summary>
    /// The 16 bytes broadcast to both halves (a load, no shuffle), the upper half shifted right by 4
    /// (a per-dword variable shift), then masked: low nibbles (elements 0..15), high nibbles (16..31).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* block)
    {
        if (Avx2.IsSupported)
        {
            var both = Avx2.BroadcastVector128ToVector256(block + 2).AsUInt32();
            return Avx2.ShiftRightLogicalVariable(both, Vector256.Create(0u, 0, 0, 0, 4, 4, 4, 4)).AsByte() & Vector256.Create((byte)0x0F);
        }

        var bytes = Vector128.Load(block + 2);
        return Vector256.Create(bytes, (bytes.AsUInt16() >> 4).AsByte()) & Vector256.Create((byte)0x0F);
    }

    public static int Unsigned(byte* block, int element) => element < 16 ? block[2 + element] & 0xF : block[2 + element - 16] >> 4;
}
