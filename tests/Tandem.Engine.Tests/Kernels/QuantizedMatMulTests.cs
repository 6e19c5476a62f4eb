using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using Tandem.Engine.Gguf;
using Tandem.Engine.Kernels;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Kernels;

/// <summary>Q8_0 and Q4_0 weights through <see cref="MatMul"/>: the decoders' definition, the canonical order bit for bit, batch invariance.</summary>
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
    public unsafe void Vector_decode_equals_the_scalar_lanes_and_the_gguf_dequantizer_for_every_byte_value(DType dtype)
    {
        var random = new Random(11);
        var bytes = dtype.BlockBytes();
        var block = new byte[bytes];
        var gguf = new float[32];
        for (var trial = 0; trial < 300; trial++)
        {
            random.NextBytes(block);

            // Every q byte value appears across trials; scales cover subnormal, normal and negative fp16 values.
            for (var j = 2; j < bytes; j++)
            {
                block[j] = (byte)(((trial * 31) + j) & 0xFF);
            }

            BinaryPrimitives.WriteHalfLittleEndian(block, trial switch { 0 => Half.Zero, 1 => Half.Epsilon, 2 => Half.MaxValue, 3 => (Half)(-0.001f), _ => (Half)((random.NextDouble() - 0.5) * 4) });
            GgufDequantizer.ToSingle(block, dtype == DType.Q8_0 ? GgufTensorType.Q8_0 : GgufTensorType.Q4_0, gguf);
            fixed (byte* p = block)
            {
                Vector512<float> a, b;
                float scalarA, scalarB;
                for (var lane = 0; lane < 16; lane++)
                {
                    (scalarA, scalarB) = dtype == DType.Q8_0
                        ? (Q8Chunks.ScalarA(p, lane), Q8Chunks.ScalarB(p, lane))
                        : (Q4Chunks.ScalarA(p, lane), Q4Chunks.ScalarB(p, lane));
                    Assert.Equal(BitConverter.SingleToInt32Bits(gguf[lane]), BitConverter.SingleToInt32Bits(scalarA));
                    Assert.Equal(BitConverter.SingleToInt32Bits(gguf[16 + lane]), BitConverter.SingleToInt32Bits(scalarB));
                }

                if (dtype == DType.Q8_0)
                {
                    Q8Chunks.Decode(p, out a, out b);
                }
                else
                {
                    Q4Chunks.Decode(p, out a, out b);
                }

                for (var lane = 0; lane < 16; lane++)
                {
                    Assert.Equal(BitConverter.SingleToInt32Bits(gguf[lane]), BitConverter.SingleToInt32Bits(a[lane]));
                    Assert.Equal(BitConverter.SingleToInt32Bits(gguf[16 + lane]), BitConverter.SingleToInt32Bits(b[lane]));
                }
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
            const int rows = 9;
            using var w = new TestMatrix(dtype, rows, cols, seed: cols + (int)dtype);
            foreach (var n in (int[])[1, 2, 3, 4, 5, 8, 13, 20])
            {
                var x = TestMatrix.RandomVector(n * cols, random);
                var y = new float[n * rows];
                MatMul.Compute(w.Matrix, x, n, y, _two);
                fixed (float* xp = x)
                {
                    for (var t = 0; t < n; t++)
                    {
                        for (var r = 0; r < rows; r++)
                        {
                            // x packs as fp32 (A = elements 0..15, B = 16..31), so the token's x is its own packing.
                            var expected = dtype == DType.Q8_0
                                ? DotTiles.Scalar<Q8Chunks>(w.Matrix.Row(r), cols, xp + (t * cols))
                                : DotTiles.Scalar<Q4Chunks>(w.Matrix.Row(r), cols, xp + (t * cols));
                            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(y[(t * rows) + r]));
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Results_match_a_double_reference_over_the_dequantized_weights(DType dtype)
    {
        var random = new Random(13);
        foreach (var cols in (int[])[32, 96, 256, 1024])
        {
            const int rows = 7;
            const int n = 5;
            using var w = new TestMatrix(dtype, rows, cols, seed: cols);
            var x = TestMatrix.RandomVector(n * cols, random);
            var y = new float[n * rows];
            MatMul.Compute(w.Matrix, x, n, y, _three);
            for (var t = 0; t < n; t++)
            {
                for (var r = 0; r < rows; r++)
                {
                    double sum = 0, magnitude = 0;
                    for (var k = 0; k < cols; k++)
                    {
                        var p = (double)w.Values[(r * cols) + k] * x[(t * cols) + k];
                        sum += p;
                        magnitude += Math.Abs(p);
                    }

                    Assert.True(Math.Abs(y[(t * rows) + r] - sum) <= 1e-6 * magnitude, $"cols {cols} t {t} r {r}: {y[(t * rows) + r]} vs {sum}");
                }
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
    public unsafe void Four_block_scales_read_at_once_are_bit_for_bit_the_single_reads()
    {
        var h = stackalloc ushort[4];
        for (var bits = 0; bits <= ushort.MaxValue; bits++)
        {
            // Each value in every lane, beside three others.
            for (var lane = 0; lane < 4; lane++)
            {
                h[lane] = (ushort)(bits + (lane * 16411));
            }

            var four = QuantizedScale.Read4((byte*)h, (byte*)(h + 1), (byte*)(h + 2), (byte*)(h + 3));
            for (var lane = 0; lane < 4; lane++)
            {
                var single = QuantizedScale.Read((byte*)(h + lane));
                Assert.True(BitConverter.SingleToInt32Bits(single) == BitConverter.SingleToInt32Bits(four.GetElement(lane)), $"0x{h[lane]:X4} in lane {lane}");
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
