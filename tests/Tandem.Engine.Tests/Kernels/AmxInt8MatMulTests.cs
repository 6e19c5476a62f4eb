using System.Runtime.InteropServices;
using Tandem.Engine.Kernels;
using Tandem.Engine.Kernels.Amx;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Kernels;

/// <summary>
/// Q8_0 and Q4_0 on AMX-INT8 tiles (<see cref="AmxInt8Kernel"/>): the tile routine gives every
/// (row, token) bit for bit what the scalar definition of the AVX-VNNI kernels gives, and
/// <see cref="MatMul"/>, which sends 8 tokens or more to the tiles, keeps each token's results equal
/// to the token run alone.
/// </summary>
public sealed unsafe class AmxInt8MatMulTests : IDisposable
{
    private readonly KernelThreads _one = new(1);
    private readonly KernelThreads _two = new(2);
    private readonly KernelThreads _three = new(3);

    public void Dispose()
    {
        _one.Dispose();
        _two.Dispose();
        _three.Dispose();
    }

    [Theory]
    [MemberData(nameof(QuantizedMatMulTests.Types), MemberType = typeof(QuantizedMatMulTests))]
    public void The_tile_routine_equals_the_scalar_definition_bit_for_bit_for_every_row_length_up_to_256_and_long_rows(DType dtype)
    {
        RequireInt8();
        var random = new Random(21);
        var offset = dtype == DType.Q8_0 ? Q8Blocks.Offset : Q4Blocks.Offset;
        var scratch = (byte*)NativeMemory.AlignedAlloc(AmxInt8Kernel.ScratchBytes, 64);
        var y = (float*)NativeMemory.AlignedAlloc(AmxInt8Kernel.Tokens * AmxInt8Kernel.Rows * sizeof(float), 64);
        var signed = (byte*)NativeMemory.AlignedAlloc(176 * AmxInt8Kernel.BlockBytes, 64);
        try
        {
            foreach (var cols in Enumerable.Range(1, 8).Select(i => i * 32).Concat([2048, 5632]))
            {
                var blocks = cols / 32;
                using var w = new TestMatrix(dtype, 16, cols, seed: cols + (int)dtype);

                // A full tile, and one of 5 tokens (the other 11 rows of the tile zero); both routines
                // (in place only for Q8_0, whose bytes it reads as stored).
                foreach (var (n, variant) in ((int, AmxInt8Kernel.Variant)[])[(16, AmxInt8Kernel.Variant.Signed), (5, AmxInt8Kernel.Variant.Signed), (16, AmxInt8Kernel.Variant.InPlace), (5, AmxInt8Kernel.Variant.InPlace)])
                {
                    if (variant == AmxInt8Kernel.Variant.InPlace && dtype != DType.Q8_0)
                    {
                        continue;
                    }

                    var a = Quantize(TestMatrix.RandomVector(n * cols, random), n, blocks, offset);
                    var tile = (byte*)NativeMemory.AlignedAlloc((nuint)AmxInt8Operands.TileBytes(variant, blocks), 64);
                    try
                    {
                        fixed (byte* ap = a)
                        {
                            AmxInt8Operands.Pack(variant, ap, ActivationBlocks.TokenBytes(blocks), n, 0, 0, blocks, tile);
                            var (data, scales) = Group(variant, dtype, w.Matrix, blocks, signed);
                            AmxInt8Kernel.Multiply(variant, (byte*)data, 0, (byte*)scales, 0, 1, tile, 0, 1, blocks, y, scratch);
                            for (var t = 0; t < n; t++)
                            {
                                for (var r = 0; r < 16; r++)
                                {
                                    var expected = Scalar(dtype, w.Matrix, r, blocks, ap + (t * ActivationBlocks.TokenBytes(blocks)));
                                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(y[(t * 16) + r]), $"{variant} cols {cols} n {n} token {t} row {r}: {y[(t * 16) + r]:R}, expected {expected:R}");
                                }
                            }

                            for (var t = n; t < AmxInt8Kernel.Tokens; t++)
                            {
                                Assert.Equal(0f, y[t * 16]);
                            }
                        }
                    }
                    finally
                    {
                        NativeMemory.AlignedFree(tile);
                    }
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(scratch);
            NativeMemory.AlignedFree(y);
            NativeMemory.AlignedFree(signed);
        }
    }

    [Theory]
    [MemberData(nameof(QuantizedMatMulTests.Types), MemberType = typeof(QuantizedMatMulTests))]
    public void Every_token_of_batches_up_to_40_equals_the_token_alone_bit_for_bit(DType dtype)
    {
        RequireInt8();
        var random = new Random(22);

        // 9 rows: one group, 7 of its rows padding; 40 rows: three groups, the last half full; 64: whole
        // groups; 300: 19 groups, more than one routine call takes (8), the last with 12 rows.
        foreach (var (rows, cols) in ((int, int)[])[(9, 96), (40, 256), (64, 2112), (300, 64)])
        {
            using var w = new TestMatrix(dtype, rows, cols, seed: rows + cols);
            var x = TestMatrix.RandomVector(40 * cols, random);

            // Blocks of zeros, of one huge value and of tiny ones: scales 0, near fp16's top, subnormal.
            x.AsSpan(0, 32).Clear();
            x[cols + 3] = 6e4f;
            for (var k = 0; k < 32; k++)
            {
                x[(2 * cols) + 64 + k] = 1e-7f * (k - 16);
            }

            var alone = Alone(w.Matrix, x, 40);
            foreach (var (n, threads) in ((int, KernelThreads)[])[(8, _two), (15, _one), (16, _three), (17, _two), (33, _three), (40, _two)])
            {
                var y = new float[n * rows];
                var tileCalls = MatMulJob.Int8TileCalls;
                MatMul.Compute(w.Matrix, x.AsSpan(0, n * cols), n, y, threads);
                Assert.Equal(tileCalls + 1, MatMulJob.Int8TileCalls);
                AssertSameBits(alone, y, rows, $"{rows}x{cols} n {n}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(QuantizedMatMulTests.Types), MemberType = typeof(QuantizedMatMulTests))]
    public void Every_token_of_a_prompt_sized_batch_equals_the_token_alone_bit_for_bit(DType dtype)
    {
        RequireInt8();

        // 300 tokens: 19 token tiles, on signed weights, taken in two runs (16 and 3) per group chunk.
        const int n = 300;
        using var w = new TestMatrix(dtype, 40, 96, seed: 31);
        var x = TestMatrix.RandomVector(n * 96, new Random(24));
        var alone = Alone(w.Matrix, x, n);
        Assert.Equal(AmxInt8Kernel.Variant.Signed, MatMulJob.Int8Variant(dtype, n));
        var y = new float[n * 40];
        MatMul.Compute(w.Matrix, x, n, y, _two);
        AssertSameBits(alone, y, 40, $"n {n}");
    }

    [Theory]
    [MemberData(nameof(QuantizedMatMulTests.Types), MemberType = typeof(QuantizedMatMulTests))]
    public void Products_of_8_tokens_or_more_run_on_the_tiles_and_fewer_on_AVX_VNNI(DType dtype)
    {
        RequireInt8();
        using var w = new TestMatrix(dtype, 16, 64, seed: 5);
        var x = TestMatrix.RandomVector(16 * 64, new Random(23));
        var y = new float[16 * 16];
        var before = MatMulJob.Int8TileCalls;
        MatMul.Compute(w.Matrix, x, MatMulJob.AmxInt8MinTokens - 1, y, _two);
        Assert.Equal(before, MatMulJob.Int8TileCalls);
        MatMul.Compute(w.Matrix, x, MatMulJob.AmxInt8MinTokens, y, _two);
        Assert.Equal(before + 1, MatMulJob.Int8TileCalls);
        Assert.Contains("AMX-INT8", AmxSupport.Int8Reason, StringComparison.Ordinal);
    }

    private static void RequireInt8() => Execution.AmxTests.RequireAmxInt8();

    /// <summary>Every one of the first <paramref name="n"/> tokens of x through the matrix alone (AVX-VNNI), one thread.</summary>
    private float[] Alone(in WeightMatrix w, float[] x, int n)
    {
        var alone = new float[n * w.Rows];
        for (var t = 0; t < n; t++)
        {
            MatMul.Compute(w, x.AsSpan(t * w.Cols, w.Cols), 1, alone.AsSpan(t * w.Rows, w.Rows), _one);
        }

        return alone;
    }

    /// <summary>y's prefix equal to <paramref name="alone"/>'s, bit for bit.</summary>
    private static void AssertSameBits(float[] alone, float[] y, int rows, string label)
    {
        for (var i = 0; i < y.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(alone[i]) == BitConverter.SingleToInt32Bits(y[i]), $"{label}: token {i / rows} row {i % rows}: {y[i]:R} alone {alone[i]:R}");
        }
    }

    /// <summary>The first group's bytes for <paramref name="variant"/> (as stored, or a signed copy in <paramref name="signed"/>) and its scales.</summary>
    private static (nint Data, nint Scales) Group(AmxInt8Kernel.Variant variant, DType dtype, in WeightMatrix w, int blocks, byte* signed)
    {
        var scales = QuantizedRowGroups.Group(w, 0);
        var data = scales + (blocks * QuantizedRowGroups.ScaleBytes);
        if (variant == AmxInt8Kernel.Variant.InPlace)
        {
            return ((nint)data, (nint)scales);
        }

        AmxInt8Kernel.ToSigned(dtype, data, blocks, signed);
        return ((nint)signed, (nint)scales);
    }

    private static byte[] Quantize(float[] x, int n, int blocks, int offset)
    {
        var a = new byte[n * ActivationBlocks.TokenBytes(blocks)];
        fixed (float* xp = x)
        fixed (byte* ap = a)
        {
            for (var t = 0; t < n; t++)
            {
                ActivationBlocks.Quantize(xp + (t * blocks * 32), blocks, offset, ap + (t * ActivationBlocks.TokenBytes(blocks)));
            }
        }

        return a;
    }

    private static float Scalar(DType dtype, in WeightMatrix w, int row, int blocks, byte* a)
    {
        var group = QuantizedRowGroups.Group(w, row / QuantizedRowGroups.GroupRows);
        var r = row % QuantizedRowGroups.GroupRows;
        return dtype == DType.Q8_0 ? QuantizedTiles.Scalar<Q8Blocks>(group, blocks, r, a) : QuantizedTiles.Scalar<Q4Blocks>(group, blocks, r, a);
    }
}
