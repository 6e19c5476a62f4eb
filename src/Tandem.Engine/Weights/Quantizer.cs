using System.Buffers.Binary;

namespace Tandem.Engine.Weights;

/// <summary>
/// fp32 rows to GGUF Q8_0 / Q4_0 blocks with llama.cpp's reference rounding
/// (<c>quantize_row_q8_0_ref</c>, <c>quantize_row_q4_0_ref</c>), so a row quantized here has the
/// bytes llama.cpp's quantizer writes for it.
/// </summary>
public static partial class Quantizer
{
    private const int Block = 32;

    /// <summary>Quantizes <paramref name="row"/> (a multiple of 32 values) into <paramref name="destination"/> (<c>target.RowBytes(row.Length)</c> bytes).</summary>
    public static void QuantizeRow(ReadOnlySpan<float> row, DType target, Span<byte> destination)
    {
        var bytes = target.RowBytes(row.Length);
        if (!target.IsQuantized() || destination.Length != bytes)
        {
            throw new ArgumentException($"{row.Length} values quantize to {bytes} bytes of {target}, the destination holds {destination.Length}", nameof(destination));
        }

        var blockBytes = target.BlockBytes();
        for (var b = 0; b < row.Length / Block; b++)
        {
            var x = row.Slice(b * Block, Block);
            var y = destination.Slice(b * blockBytes, blockBytes);
            if (target == DType.Q8_0)
            {
                if (!TryQ8_0BlockVector(x, y))
                {
                    Q8_0Block(x, y);
                }
            }
            else if (!TryQ4_0BlockVector(x, y))
            {
                Q4_0Block(x, y);
            }
        }
    }

    /// <summary>d = max|x| / 127, q = round-half-away(x · (1/d)); d stored as fp16 (round to nearest even).</summary>
    internal static void Q8_0Block(ReadOnlySpan<float> x, Span<byte> y)
    {
        var amax = 0f;
        foreach (var v in x)
        {
            amax = MathF.Max(amax, MathF.Abs(v));
        }

        var d = amax / 127;
        var id = d != 0 ? 1f / d : 0f;
        BinaryPrimitives.WriteHalfLittleEndian(y, (Half)d);
        for (var j = 0; j < Block; j++)
        {
            y[2 + j] = (byte)(sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
        }
    }

    /// <summary>
    /// max = the value of largest magnitude (sign kept, first one on ties), d = max / −8, so max maps
    /// to −8 exactly and the other side reaches at most +7; q = min(15, trunc(x · (1/d) + 8.5)).
    /// </summary>
    internal static void Q4_0Block(ReadOnlySpan<float> x, Span<byte> y)
    {
        float amax = 0f, max = 0f;
        foreach (var v in x)
        {
            if (amax < MathF.Abs(v))
            {
                amax = MathF.Abs(v);
                max = v;
            }
        }

        var d = max / -8;
        var id = d != 0 ? 1f / d : 0f;
        BinaryPrimitives.WriteHalfLittleEndian(y, (Half)d);
        for (var j = 0; j < Block / 2; j++)
        {
            var low = Math.Min(15, (int)(sbyte)((x[j] * id) + 8.5f));
            var high = Math.Min(15, (int)(sbyte)((x[j + (Block / 2)] * id) + 8.5f));
            y[2 + j] = (byte)(low | (high << 4));
        }
    }
}
