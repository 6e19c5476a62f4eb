using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Gguf;

/// <summary>
/// Widens GGUF tensor data to fp32. Q8_0 blocks are <c>f16 d; int8 q[32]</c> with x = d·q; Q4_0 blocks
/// are <c>f16 d; u8 q[16]</c> with x[j] = d·((q[j] &amp; 15) − 8) and x[j+16] = d·((q[j] &gt;&gt; 4) − 8).
/// </summary>
public static class GgufDequantizer
{
    private const int Block = 32;

    public static void ToSingle(ReadOnlySpan<byte> source, GgufTensorType type, Span<float> destination)
    {
        switch (type)
        {
            case GgufTensorType.F32:
                ElementConversion.Widen(source, DType.F32, destination);
                break;
            case GgufTensorType.F16:
                ElementConversion.Widen(source, DType.F16, destination);
                break;
            case GgufTensorType.BF16:
                ElementConversion.Widen(source, DType.BF16, destination);
                break;
            case GgufTensorType.Q8_0:
                Blocks(source, type, destination, Q8_0);
                break;
            case GgufTensorType.Q4_0:
                Blocks(source, type, destination, Q4_0);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    private static void Blocks(ReadOnlySpan<byte> source, GgufTensorType type, Span<float> destination, BlockDecoder decode)
    {
        var blockBytes = type.BlockBytes();
        if (destination.Length % Block != 0 || source.Length != destination.Length / Block * blockBytes)
        {
            throw new ArgumentException($"{source.Length} bytes of {type} do not make {destination.Length} elements", nameof(source));
        }

        for (var b = 0; b < destination.Length / Block; b++)
        {
            decode(source.Slice(b * blockBytes, blockBytes), destination.Slice(b * Block, Block));
        }
    }

    private static void Q8_0(ReadOnlySpan<byte> block, Span<float> x)
    {
        var d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
        var q = MemoryMarshal.Cast<byte, sbyte>(block[2..]);
        for (var j = 0; j < Block; j++)
        {
            x[j] = d * q[j];
        }
    }

    private static void Q4_0(ReadOnlySpan<byte> block, Span<float> x)
    {
        var d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
        var q = block[2..];
        for (var j = 0; j < Block / 2; j++)
        {
            x[j] = d * ((q[j] & 0x0F) - 8);
            x[j + (Block / 2)] = d * ((q[j] >> 4) - 8);
        }
    }

    private delegate void BlockDecoder(ReadOnlySpan<byte> block, Span<float> x);
}
