using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Tandem.Engine.Gguf;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Weights;

public class QuantizerTests
{
    [Fact]
    public void Quantizing_the_f32_gguf_gives_the_q8_0_gguf_byte_for_byte()
    {
        using var f32 = GgufFile.Open(SharedData.Require("models", "stories260K-gguf", "stories260K-f32.gguf"));
        using var q8 = GgufFile.Open(SharedData.Require("models", "stories260K-gguf", "stories260K-q8_0.gguf"));
        var compared = 0;
        foreach (var (name, quantized) in q8.Tensors)
        {
            if (quantized.Type != GgufTensorType.Q8_0)
            {
                continue;
            }

            var source = f32.Tensors[name];
            Assert.Equal(GgufTensorType.F32, source.Type);
            var values = MemoryMarshal.Cast<byte, float>(f32.Bytes(source));
            var mine = new byte[quantized.ByteCount];
            Quantizer.QuantizeRow(values, DType.Q8_0, mine);
            var theirs = q8.Bytes(quantized);
            var first = mine.AsSpan().CommonPrefixLength(theirs);
            Assert.True(first == mine.Length, $"{name}: first difference at byte {first} of {mine.Length}");
            compared++;
        }

        // token_embd and, per layer, attn_q/k/v/output, ffn_gate/up (ffn_down's rows of 172 stay F32).
        Assert.Equal(1 + (5 * 6), compared);
    }

    [Theory]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.Q4_0)]
    public void The_vector_blocks_are_the_scalar_reference_byte_for_byte(DType dtype)
    {
        var random = new Random(21);
        var x = new float[32];
        var scalar = new byte[dtype.BlockBytes()];
        var vector = new byte[dtype.BlockBytes()];
        var vectorRan = 0;
        for (var trial = 0; trial < 20_000; trial++)
        {
            var scale = (float)Math.Pow(10, random.Next(-40, 39));
            for (var j = 0; j < 32; j++)
            {
                x[j] = (float)((random.NextDouble() * 2) - 1) * scale;
            }

            switch (trial % 8)
            {
                case 0:
                    // Ties: amax 127 makes d 1 (Q8_0), values k + 0.5 land exactly on them.
                    for (var j = 0; j < 32; j++)
                    {
                        x[j] = j == 0 ? 127f : random.Next(-126, 126) + 0.5f;
                    }

                    break;
                case 1:
                    // All zero, with a negative zero first.
                    Array.Clear(x);
                    x[0] = -0f;
                    break;
                case 2:
                    // The same largest magnitude with both signs: the first one decides.
                    x[random.Next(0, 16)] = -scale * 2;
                    x[random.Next(16, 32)] = scale * 2;
                    break;
                case 3:
                    // Not finite: the vector path declines, the row still quantizes as the scalar code does.
                    x[random.Next(32)] = random.Next(3) switch { 0 => float.PositiveInfinity, 1 => float.NegativeInfinity, _ => float.NaN };
                    break;
            }

            Array.Clear(scalar);
            Array.Clear(vector);
            bool ran;
            if (dtype == DType.Q8_0)
            {
                Quantizer.Q8_0Block(x, scalar);
                ran = Quantizer.TryQ8_0BlockVector(x, vector);
            }
            else
            {
                Quantizer.Q4_0Block(x, scalar);
                ran = Quantizer.TryQ4_0BlockVector(x, vector);
            }

            if (trial % 8 == 3)
            {
                Assert.False(ran);
            }

            if (ran)
            {
                vectorRan++;
                Assert.True(scalar.AsSpan().SequenceEqual(vector), $"trial {trial}: {Convert.ToHexString(scalar)} vs {Convert.ToHexString(vector)}");
            }

            var row = new byte[scalar.Length];
            Quantizer.QuantizeRow(x, dtype, row);
            Assert.True(scalar.AsSpan().SequenceEqual(row), $"trial {trial}: QuantizeRow differs from the scalar reference");
        }

        // Blocks too small for 1/d (scales near 1e-38 and below) go to the scalar code too.
        Assert.True(vectorRan > 15_000 || !System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated, $"the vector path ran {vectorRan} times");
    }

    [Fact]
    public void Q8_0_maps_the_largest_magnitude_to_127_and_rounds_half_away_from_zero()
    {
        var x = new float[32];
        x[0] = -127f; // d = 1, so q = round(x) exactly
        x[1] = 2.5f;
        x[2] = -2.5f;
        x[3] = 0.5f;
        x[4] = 0.49f;
        var block = new byte[34];
        Quantizer.QuantizeRow(x, DType.Q8_0, block);
        Assert.Equal((Half)1f, BinaryPrimitives.ReadHalfLittleEndian(block));
        var q = MemoryMarshal.Cast<byte, sbyte>(block.AsSpan(2));
        Assert.Equal([-127, 3, -3, 1, 0, 0], q[..6].ToArray().Select(v => (int)v));
    }

    [Fact]
    public void Q4_0_maps_the_signed_largest_magnitude_to_minus_8_and_the_other_side_to_at_most_7()
    {
        var x = new float[32];
        x[0] = 4f;        // max: d = 4 / -8 = -0.5, so 4 → -8 → stored 0
        x[1] = -4f;       // the other side: +8 clamped to 7 → stored 15
        x[2] = 1f;        // -2 → stored 6
        x[16] = -1.2f;    // 2.4 + 8.5 = 10.9 → 10
        x[17] = 0.25f;    // -0.5 + 8.5 = 8 → 8
        var block = new byte[18];
        Quantizer.QuantizeRow(x, DType.Q4_0, block);
        Assert.Equal((Half)(-0.5f), BinaryPrimitives.ReadHalfLittleEndian(block));
        Assert.Equal(0 | (10 << 4), block[2]);
        Assert.Equal(15 | (8 << 4), block[3]);
        Assert.Equal(6 | (8 << 4), block[4]);
        Assert.Equal(8 | (8 << 4), block[5]); // zeros
    }

    [Theory]
    [InlineData(DType.Q8_0, 0.5 / 127)]
    [InlineData(DType.Q4_0, 1.0 / 8)] // a whole step: the side opposite the max clamps at +7, one step short of +8
    public void Dequantized_values_are_within_half_a_step(DType dtype, double stepsPerMax)
    {
        var random = new Random(5);
        var x = new float[256];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var bytes = new byte[dtype.RowBytes(x.Length)];
        Quantizer.QuantizeRow(x, dtype, bytes);
        var back = new float[x.Length];
        GgufDequantizer.ToSingle(bytes, dtype == DType.Q8_0 ? GgufTensorType.Q8_0 : GgufTensorType.Q4_0, back);
        for (var b = 0; b < x.Length / 32; b++)
        {
            var amax = x.Skip(b * 32).Take(32).Max(MathF.Abs);
            for (var j = b * 32; j < (b + 1) * 32; j++)
            {
                // Half a step, plus the fp16 rounding of the scale (2^-11 relative) times the largest q.
                Assert.True(Math.Abs(back[j] - x[j]) <= (amax * (stepsPerMax + (1.0 / 2048))) + 1e-7, $"{dtype} element {j}: {x[j]} → {back[j]}");
            }
        }
    }

    [Fact]
    public void Rows_that_are_not_whole_blocks_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Quantizer.QuantizeRow(new float[172], DType.Q8_0, new byte[200]));
        Assert.Throws<ArgumentException>(() => Quantizer.QuantizeRow(new float[64], DType.Q4_0, new byte[35]));
        Assert.Throws<ArgumentException>(() => Quantizer.QuantizeRow(new float[64], DType.F32, new byte[256]));
    }

    [Theory]
    [InlineData("int3")]
    [InlineData("q8_0")]
    [InlineData("")]
    public void A_bad_quantization_name_is_an_error_naming_the_choices(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => WeightQuantizations.Parse(value));
        Assert.Contains($"'{value}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("none, int8 or int4", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("none", WeightQuantization.None)]
    [InlineData("int8", WeightQuantization.Int8)]
    [InlineData("INT4", WeightQuantization.Int4)]
    public void Quantization_names_parse(string value, WeightQuantization expected) => Assert.Equal(expected, WeightQuantizations.Parse(value));
}
