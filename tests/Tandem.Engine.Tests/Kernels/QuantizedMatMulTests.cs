using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using Tandem.Engine.Gguf;
using Tandem.Engine.Kernels;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Kernels;

/// <summary>Q8_0 and Q4_0 weights through <see cref="MatMul"/>: weights and 8-bit activations as defined, the canonical order bit for bit.</summary>
public sealed class QuantizedMatMulTests : IDisposable
{
    private readonly KernelThreads _one = new(1);
    private readonly KernelThreads _two = new(2);
    private readonly KernelThreads _three = new(3);

    public static TheoryData<DType> Types => new() { DType.Q8_0, DType.Q4_0 };

    public void Dispose()
    {
        _one.Dispose();
        _two.Dispose();
        _three.Dispose();
    }

    [Theory]
    [MemberData(nameof(Types))]
    public unsafe void Packed_groups_hold_each_row_unsigned_and_dequantize_as_gguf_does_for_every_byte_value(DType dtype)
    {
        var random = new Random(11);
        var bytes = dtype.BlockBytes();
        const int blocks = 2;
        var gguf = new byte[QuantizedRowGroups.GroupRows * blocks * bytes];
        var expected = new float[32 * blocks];
        var actual = new float[32 * blocks];
        var group = new byte[QuantizedRowGroups.GroupBytes(dtype, 32 * blocks)];
        for (var trial = 0; trial < 40; trial++)
        {
            random.NextBytes(gguf);
            for (var block = 0; block < QuantizedRowGroups.GroupRows * blocks; block++)
            {
                // Every q byte value appears across trials; scales cover zero, subnormal, normal, negative and huge fp16 values.
                for (var j = 2; j < bytes; j++)
                {
                    gguf[(block * bytes) + j] = (byte)(((trial * QuantizedRowGroups.GroupRows * blocks * 31) + (block * 37) + j) & 0xFF);
                }

                var scale = ((trial * QuantizedRowGroups.GroupRows * blocks) + block) switch { 0 => Half.Zero, 1 => Half.Epsilon, 2 => Half.MaxValue, 3 => (Half)(-0.001f), _ => (Half)((random.NextDouble() - 0.5) * 4) };
                BinaryPrimitives.WriteHalfLittleEndian(gguf.AsSpan(block * bytes), scale);
            }

            // 15 rows: the 16th of the group is padding.
            const int rows = QuantizedRowGroups.GroupRows - 1;
            fixed (byte* source = gguf)
            fixed (byte* packed = group)
            {
                var w = QuantizedRowGroups.Pack(dtype, rows, 32 * blocks, source, packed);
                for (var r = 0; r < QuantizedRowGroups.GroupRows; r++)
                {
                    if (r < rows)
                    {
                        GgufDequantizer.ToSingle(gguf.AsSpan(r * blocks * bytes, blocks * bytes), dtype == DType.Q8_0 ? GgufTensorType.Q8_0 : GgufTensorType.Q4_0, expected);
                        WeightRows.ToFloat(w, r, actual);
                        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
                    }

                    for (var b = 0; b < blocks; b++)
                    {
                        var p = source + (((r * blocks) + b) * bytes);
                        var data = dtype == DType.Q8_0 ? QuantizedRowGroups.Data<Q8Blocks>(packed, blocks, b) : QuantizedRowGroups.Data<Q4Blocks>(packed, blocks, b);
                        var offset = dtype == DType.Q8_0 ? Q8Blocks.Offset : Q4Blocks.Offset;
                        for (var e = 0; e < 32; e++)
                        {
                            var unsigned = dtype == DType.Q8_0 ? Q8Blocks.Unsigned(data, r, e) : Q4Blocks.Unsigned(data, r, e);
                            var half = r / QuantizedRowGroups.HalfRows;
                            var quad = dtype == DType.Q8_0 ? Q8Blocks.Load(data, half, e / 4) : Q4Blocks.Load(data, half, e / 4);
                            var weight = r >= rows ? 0 : dtype == DType.Q8_0 ? (sbyte)p[2 + e] : e < 16 ? (p[2 + e] & 15) - 8 : (p[2 + e - 16] >> 4) - 8;
                            Assert.Equal(r >= rows ? 0 : weight + offset, unsigned);
                            Assert.Equal(unsigned, quad[(4 * (r % QuantizedRowGroups.HalfRows)) + (e % 4)]);
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public unsafe void Activations_quantize_per_block_with_an_fp16_scale_rounding_half_to_even()
    {
        var random = new Random(14);
        const int blocks = 9;
        var x = new float[blocks * 32];
        var packed = new byte[ActivationBlocks.TokenBytes(blocks)];
        for (var trial = 0; trial < 200; trial++)
        {
            for (var i = 0; i < x.Length; i++)
            {
                x[i] = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 4)));
            }

            // Block 0 all zero; block 1 has amax 127 so x · 127 / amax is x itself: exact ties round to even;
            // block 2 holds an infinity and a NaN, which count as 0.
            Array.Clear(x, 0, 32);
            for (var j = 0; j < 32; j++)
            {
                x[32 + j] = j == 0 ? 127f : (j - 16) + 0.5f;
            }

            x[64 + 3] = float.PositiveInfinity;
            x[64 + 9] = float.NaN;

            // Block 3 past fp16's range for its scale: capped at 65504, values saturate at ±127.
            for (var j = 0; j < 32; j++)
            {
                x[96 + j] = (j - 16) * 1e6f;
            }

            var offset = trial % 2 == 0 ? 128 : 8;
            fixed (float* xp = x)
            fixed (byte* a = packed)
            {
                ActivationBlocks.Quantize(xp, blocks, offset, a);
                for (var b = 0; b < blocks; b++)
                {
                    var block = x.AsSpan(b * 32, 32).ToArray().Select(v => float.IsFinite(v) ? v : 0f).ToArray();
                    var amax = block.Max(MathF.Abs);
                    var capped = (float)(Half)(amax / 127f) > 65504f;
                    var inverse = amax == 0 ? 0f : capped ? 1f / 65504f : 127f / amax;
                    var scale = capped ? 65504f : (float)(Half)(amax / 127f);
                    Assert.Equal(b == 3, capped);
                    var blockBytes = a + (b * ActivationBlocks.BlockBytes);
                    Assert.Equal(BitConverter.SingleToInt32Bits(scale), BitConverter.SingleToInt32Bits(ActivationBlocks.Scale(blockBytes)));
                    var q = (sbyte*)blockBytes;
                    var sum = 0;
                    for (var j = 0; j < 32; j++)
                    {
                        Assert.Equal(Math.Clamp((int)MathF.Round(block[j] * inverse, MidpointRounding.ToEven), -127, 127), q[j]);
                        sum += q[j];
                    }

                    Assert.Equal(-offset * sum, ActivationBlocks.Correction(blockBytes));
                }

                var ties = (sbyte*)a + ActivationBlocks.BlockBytes;
                Assert.Equal((-14, -14, -12, -12), (ties[1], ties[2], ties[3], ties[4]));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public unsafe void Every_multiple_of_32_up_to_256_and_batches_1_to_20_equal_the_scalar_definition_bit_for_bit(DType dtype)
    {
        var random = new Random(12);

        // Past 256: rows long enough for the multi-token loop to slice the reduction axis.
        foreach (var cols in Enumerable.Range(1, 8).Select(i => i * 32).Concat([2048, 2112]))
        {
            // Two groups, the second with one row, or one group of three.
            var rows = cols % 64 == 0 ? 9 : 3;
            var blocks = cols / 32;
            using var w = new TestMatrix(dtype, rows, cols, seed: cols + (int)dtype);
            foreach (var n in (int[])[1, 2, 3, 4, 5, 8, 13, 20])
            {
                var x = TestMatrix.RandomVector(n * cols, random);
                var y = new float[n * rows];
                MatMul.Compute(w.Matrix, x, n, y, _two);
                var a = new byte[ActivationBlocks.TokenBytes(blocks)];
                fixed (float* xp = x)
                fixed (byte* ap = a)
                {
                    for (var t = 0; t < n; t++)
                    {
                        ActivationBlocks.Quantize(xp + (t * cols), blocks, dtype == DType.Q8_0 ? 128 : 8, ap);
                        for (var r = 0; r < rows; r++)
                        {
                            var group = QuantizedRowGroups.Group(w.Matrix, r / QuantizedRowGroups.GroupRows);
                            var expected = dtype == DType.Q8_0
                                ? QuantizedTiles.Scalar<Q8Blocks>(group, blocks, r % QuantizedRowGroups.GroupRows, ap)
                                : QuantizedTiles.Scalar<Q4Blocks>(group, blocks, r % QuantizedRowGroups.GroupRows, ap);
                            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(y[(t * rows) + r]));
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public unsafe void Results_match_a_double_reference_over_the_dequantized_weights_and_activations(DType dtype)
    {
        var random = new Random(13);
        foreach (var cols in (int[])[32, 96, 256, 1024])
        {
            const int rows = 7;
            const int n = 5;
            var blocks = cols / 32;
            using var w = new TestMatrix(dtype, rows, cols, seed: cols);
            var x = TestMatrix.RandomVector(n * cols, random);
            var y = new float[n * rows];
            MatMul.Compute(w.Matrix, x, n, y, _three);
            var a = new byte[ActivationBlocks.TokenBytes(blocks)];
            for (var t = 0; t < n; t++)
            {
                fixed (float* xp = x)
                fixed (byte* ap = a)
                {
                    ActivationBlocks.Quantize(xp + (t * cols), blocks, 8, ap);
                    for (var r = 0; r < rows; r++)
                    {
                        double sum = 0, magnitude = 0, exact = 0;
                        for (var k = 0; k < cols; k++)
                        {
                            var xk = (double)((sbyte*)ap)[(k / 32 * ActivationBlocks.BlockBytes) + (k % 32)] * ActivationBlocks.Scale(ap + (k / 32 * ActivationBlocks.BlockBytes));
                            var p = (double)w.Values[(r * cols) + k] * xk;
                            sum += p;
                            magnitude += Math.Abs(p);
                            exact += (double)w.Values[(r * cols) + k] * x[(t * cols) + k];
                        }

                        // Exact up to fp32 accumulation over the quantized activations; within 8-bit
                        // activation error (about 1 % of the magnitude here) of the float activations.
                        Assert.True(Math.Abs(y[(t * rows) + r] - sum) <= 1e-6 * magnitude, $"cols {cols} t {t} r {r}: {y[(t * rows) + r]} vs {sum}");
                        Assert.True(Math.Abs(y[(t * rows) + r] - exact) <= 0.02 * magnitude, $"cols {cols} t {t} r {r}: {y[(t * rows) + r]} vs float activations {exact}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Block_scales_round_to_fp16_exactly_as_Half_does_with_the_cap()
    {
        static void Check(float v)
        {
            var expected = MathF.Min((float)(Half)v, 65504f);
            var actual = ActivationBlocks.RoundToHalf(v);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{v:R} (0x{BitConverter.SingleToUInt32Bits(v):X8}): {actual:R}, Half gives {expected:R}");
        }

        // Every fp16 value, the midpoints to its neighbours (ties) and one fp32 ulp either side of each.
        for (ushort h = 0; h < 0x7C00; h++)
        {
            var low = (float)BitConverter.UInt16BitsToHalf(h);
            var high = (float)BitConverter.UInt16BitsToHalf((ushort)(h + 1));
            var mid = (float)(((double)low + high) / 2);
            foreach (var v in (float[])[low, mid, MathF.BitDecrement(mid), MathF.BitIncrement(mid), MathF.BitIncrement(low)])
            {
                Check(v);
            }
        }

        // A sweep over the positive floats up to 2^31 (every 101st bit pattern), and the edges.
        for (uint bits = 0; bits < 0x4F00_0000u; bits += 101)
        {
            Check(BitConverter.UInt32BitsToSingle(bits));
        }

        foreach (var v in (float[])[0f, float.Epsilon, 6.1035156e-05f, MathF.BitDecrement(6.1035156e-05f), 65504f, 65519.99f, 65520f, 1e30f, float.MaxValue])
        {
            Check(v);
        }
    }

    [Fact]
    public void The_integer_sums_without_VNNI_are_exactly_those_with_it_and_the_definition()
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            // The AVX2 path is what this checks; without AVX2 the kernels run the scalar definition.
            Assert.Skip("this CPU (or DOTNET_EnableAVX2=0) has no AVX2");
        }

        var random = new Random(15);
        var u = new byte[32];
        var q = new sbyte[32];
        var c = new int[8];
        for (var trial = 0; trial < 2000; trial++)
        {
            random.NextBytes(u);
            for (var j = 0; j < 32; j++)
            {
                // Extremes often: 255·127 and 255·−127 products summed in fours.
                q[j] = trial % 3 == 0 ? (sbyte)(j % 2 == 0 ? 127 : -127) : (sbyte)random.Next(-127, 128);
                u[j] = trial % 5 == 0 ? (byte)255 : u[j];
            }

            for (var l = 0; l < 8; l++)
            {
                c[l] = random.Next(-130_000, 130_000);
            }

            var actual = QuantizedTiles.DotWithoutVnni(Vector256.Create(c), Vector256.Create(u), Vector256.Create(q));
            for (var l = 0; l < 8; l++)
            {
                var expected = c[l] + (u[4 * l] * q[4 * l]) + (u[(4 * l) + 1] * q[(4 * l) + 1]) + (u[(4 * l) + 2] * q[(4 * l) + 2]) + (u[(4 * l) + 3] * q[(4 * l) + 3]);
                Assert.Equal(expected, actual[l]);
            }

            if (System.Runtime.Intrinsics.X86.AvxVnni.IsSupported)
            {
                Assert.Equal(System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd(Vector256.Create(c), Vector256.Create(u), Vector256.Create(q)), actual);
            }
        }
    }

    [Fact]
    public void The_AVX2_signed_and_nibble_products_are_exact_for_every_weight_against_the_extreme_activations()
    {
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            Assert.Skip("this CPU (or DOTNET_EnableAVX2=0) has no AVX2");
        }

        // Every int8 weight (−128 included, whose |w| only fits unsigned) and every nibble, each quad of four
        // lanes against activations of ±127 in all sign mixes, 0 and random values: pair sums at vpmaddubsw's
        // limit (2·128·127) must not saturate.
        var random = new Random(16);
        var w = new sbyte[32];
        var q = new sbyte[32];
        var c = new int[8];
        for (var trial = 0; trial < 4096; trial++)
        {
            for (var j = 0; j < 32; j++)
            {
                w[j] = trial < 256 ? (sbyte)(trial - 128) : (sbyte)random.Next(-128, 128);
                q[j] = (trial % 4) switch
                {
                    0 => (sbyte)127,
                    1 => (sbyte)-127,
                    2 => (sbyte)((j & 1) == 0 ? 127 : -127),
                    _ => (sbyte)random.Next(-127, 128),
                };
                if (trial % 7 == 0 && j % 5 == 0)
                {
                    q[j] = 0;
                }
            }

            for (var l = 0; l < 8; l++)
            {
                c[l] = random.Next(-130_000, 130_000);
            }

            var wv = Vector256.Create(w);
            var signed = QuantizedTiles.DotSigned(Vector256.Create(c), System.Runtime.Intrinsics.X86.Avx2.Abs(wv), wv, Vector256.Create(q));
            var nibbles = new byte[32];
            for (var j = 0; j < 32; j++)
            {
                nibbles[j] = (byte)(w[j] & 0x0F);
            }

            var unsigned = QuantizedTiles.DotUnsignedNibbles(Vector256.Create(c), Vector256.Create(nibbles), Vector256.Create(q));
            for (var l = 0; l < 8; l++)
            {
                int expectedSigned = c[l], expectedNibbles = c[l];
                for (var e = 4 * l; e < (4 * l) + 4; e++)
                {
                    expectedSigned += w[e] * q[e];
                    expectedNibbles += nibbles[e] * q[e];
                }

                Assert.Equal(expectedSigned, signed[l]);
                Assert.Equal(expectedNibbles, unsigned[l]);
            }
        }
    }

    [Fact]
    public unsafe void The_block_scale_reads_every_fp16_value_as_Half_does()
    {
        for (var bits = 0; bits <= ushort.MaxValue; bits++)
        {
            var h = (ushort)bits;
            var expected = (float)BitConverter.UInt16BitsToHalf(h);
            var actual = QuantizedScale.Read((byte*)&h);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual) || (float.IsNaN(expected) && float.IsNaN(actual)), $"0x{bits:X4}: {expected} vs {actual}");
        }
    }

    [Fact]
    public unsafe void Eight_block_scales_read_at_once_are_bit_for_bit_the_single_reads()
    {
        var h = stackalloc ushort[8];
        for (var bits = 0; bits <= ushort.MaxValue; bits++)
        {
            // Each value in every lane, beside seven others.
            for (var lane = 0; lane < 8; lane++)
            {
                h[lane] = (ushort)(bits + (lane * 8209));
            }

            var eight = QuantizedScale.Read8((byte*)h);
            for (var lane = 0; lane < 8; lane++)
            {
                var single = QuantizedScale.Read((byte*)(h + lane));
                Assert.True(BitConverter.SingleToInt32Bits(single) == BitConverter.SingleToInt32Bits(eight.GetElement(lane)), $"0x{h[lane]:X4} in lane {lane}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public unsafe void A_row_that_is_not_whole_blocks_is_refused(DType dtype)
    {
        var error = Assert.Throws<ArgumentException>(() => new WeightMatrix(null, dtype, 4, 172));
        Assert.Contains("multiple of 32", error.Message, StringComparison.Ordinal);
        Assert.Equal(dtype == DType.Q8_0 ? 6 * 34 : 6 * 18, dtype.RowBytes(192));
    }
}
