using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Tandem.Engine.Kernels;
using Tandem.Engine.Kernels.Vnni512;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Kernels;

/// <summary>
/// The 512-bit VNNI routines (machine code) for one token and for tiles of four: every (row, token) bit for bit what the
/// scalar definition of <see cref="QuantizedTiles"/> gives, alone and inside <see cref="MatMul"/>.
/// </summary>
public sealed class QuantizedMatVecTests : IDisposable
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
        GC.SuppressFinalize(this);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public unsafe void Whole_groups_equal_the_scalar_definition_bit_for_bit_with_every_kind_of_scale(DType dtype)
    {
        RequireRoutines();
        var random = new Random(21);
        foreach (var cols in Enumerable.Range(1, 8).Select(i => i * 32).Concat([2048, 5632]))
        {
            var blocks = cols / 32;
            // One group alone, a pair, a pair and one left over, two pairs.
            foreach (var groups in (int[])[1, 2, 3, 4])
            {
                var rows = groups * QuantizedRowGroups.GroupRows;
                using var w = new RawMatrix(dtype, rows, cols, random);
                var a = new byte[ActivationBlocks.TokenBytes(blocks)];
                var x = new float[cols];
                var y = new float[rows];
                for (var trial = 0; trial < 4; trial++)
                {
                    for (var k = 0; k < cols; k++)
                    {
                        // Magnitudes from 1e-6 to 1e4 across trials; some blocks all zero.
                        x[k] = k / 32 % 5 == 4 ? 0f : (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 5)));
                    }

                    fixed (float* xp = x)
                    fixed (byte* ap = a)
                    fixed (float* yp = y)
                    {
                        ActivationBlocks.Quantize(xp, blocks, dtype == DType.Q8_0 ? Q8Blocks.Offset : Q4Blocks.Offset, ap);
                        QuantizedMatVec.Multiply(dtype == DType.Q4_0, w.Matrix.Data, (nint)QuantizedRowGroups.GroupBytes(dtype, cols), groups, blocks, ap, yp);
                        for (var r = 0; r < rows; r++)
                        {
                            AssertSame(Scalar(dtype, w.Matrix, blocks, r, ap), y[r], $"{dtype} cols {cols} row {r} trial {trial}");
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public unsafe void Four_token_tiles_equal_the_scalar_definition_and_advance_the_prefetch_by_their_lines(DType dtype)
    {
        RequireRoutines();
        var random = new Random(23);
        foreach (var cols in Enumerable.Range(1, 8).Select(i => i * 32).Concat([2048]))
        {
            var blocks = cols / 32;
            const int groups = 2;
            const int rows = groups * QuantizedRowGroups.GroupRows;
            using var w = new RawMatrix(dtype, rows, cols, random);
            var aStride = ActivationBlocks.TokenBytes(blocks) + 64;
            var a = new byte[4 * aStride];
            var x = new float[4 * cols];
            const int yStride = rows + 3;
            var y = new float[4 * yStride];
            var prefetchArea = new byte[4096];
            for (var k = 0; k < x.Length; k++)
            {
                x[k] = k / 32 % 7 == 6 ? 0f : (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 5)));
            }

            fixed (float* xp = x)
            fixed (byte* ap = a)
            fixed (float* yp = y)
            fixed (byte* pp = prefetchArea)
            {
                for (var t = 0; t < 4; t++)
                {
                    ActivationBlocks.Quantize(xp + (t * cols), blocks, dtype == DType.Q8_0 ? Q8Blocks.Offset : Q4Blocks.Offset, ap + (t * aStride));
                }

                foreach (var lines in (int[])[0, 1, 3])
                {
                    for (var g = 0; g < groups; g++)
                    {
                        var prefetch = pp;
                        QuantizedMatVec.Multiply4(dtype == DType.Q4_0, QuantizedRowGroups.Group(w.Matrix, g), blocks, ap, aStride, yp + (g * QuantizedRowGroups.GroupRows), yStride, ref prefetch, pp + prefetchArea.Length, lines);
                        Assert.Equal((nint)Math.Min(prefetchArea.Length, 64 * lines * blocks), (nint)(prefetch - pp));
                    }

                    for (var t = 0; t < 4; t++)
                    {
                        for (var r = 0; r < rows; r++)
                        {
                            AssertSame(Scalar(dtype, w.Matrix, blocks, r, ap + (t * aStride)), y[(t * yStride) + r], $"{dtype} cols {cols} token {t} row {r} lines {lines}");
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public unsafe void MatMul_with_whole_and_partial_groups_any_thread_count_and_leftover_tokens_equals_the_definition(DType dtype)
    {
        var random = new Random(22);
        foreach (var (rows, cols) in (ReadOnlySpan<(int, int)>)[(16, 64), (35, 96), (64, 2048), (200, 256)])
        {
            var blocks = cols / 32;
            using var w = new RawMatrix(dtype, rows, cols, random);
            foreach (var threads in (KernelThreads[])[_one, _two, _three])
            {
                // 1-3 tokens: all on the matrix-vector path; from 4 on: 4-token tiles and the rest.
                foreach (var n in (int[])[1, 2, 3, 4, 5, 7, 8, 13])
                {
                    var x = TestMatrix.RandomVector(n * cols, random);
                    var y = new float[n * rows];
                    MatMul.Compute(w.Matrix, x, n, y, threads);
                    var a = new byte[ActivationBlocks.TokenBytes(blocks)];
                    fixed (float* xp = x)
                    fixed (byte* ap = a)
                    {
                        for (var t = 0; t < n; t++)
                        {
                            ActivationBlocks.Quantize(xp + (t * cols), blocks, dtype == DType.Q8_0 ? Q8Blocks.Offset : Q4Blocks.Offset, ap);
                            for (var r = 0; r < rows; r++)
                            {
                                AssertSame(Scalar(dtype, w.Matrix, blocks, r, ap), y[(t * rows) + r], $"{dtype} {rows}x{cols} threads {threads.Count} n {n} t {t} r {r}");
                            }
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Where_the_routines_run_is_said_and_matches_the_cpu()
    {
        Assert.False(string.IsNullOrWhiteSpace(QuantizedMatVec.Reason));
        if (Environment.GetEnvironmentVariable("TANDEM_VNNI512") is "0" or "off" or "false")
        {
            Assert.False(QuantizedMatVec.IsAvailable);
            Assert.Contains("TANDEM_VNNI512=0", QuantizedMatVec.Reason, StringComparison.Ordinal);
            return;
        }

        var cpu = File.Exists("/proc/cpuinfo") && File.ReadAllText("/proc/cpuinfo").Contains(" avx512_vnni", StringComparison.Ordinal)
            && System.Runtime.Intrinsics.X86.Avx512BW.IsSupported;
        Assert.Equal(cpu, QuantizedMatVec.IsAvailable);
    }

    private static void RequireRoutines()
    {
        if (!QuantizedMatVec.IsAvailable)
        {
            Assert.Skip($"512-bit VNNI routines not available here: {QuantizedMatVec.Reason}");
        }
    }

    private static unsafe float Scalar(DType dtype, in WeightMatrix w, int blocks, int row, byte* a)
    {
        var group = QuantizedRowGroups.Group(w, row / QuantizedRowGroups.GroupRows);
        return dtype == DType.Q8_0
            ? QuantizedTiles.Scalar<Q8Blocks>(group, blocks, row % QuantizedRowGroups.GroupRows, a)
            : QuantizedTiles.Scalar<Q4Blocks>(group, blocks, row % QuantizedRowGroups.GroupRows, a);
    }

    /// <summary>The same bits; a NaN (from an infinite scale) only has to be a NaN, as its payload may differ.</summary>
    private static void AssertSame(float expected, float actual, string what)
    {
        if (float.IsNaN(expected))
        {
            Assert.True(float.IsNaN(actual), $"{what}: {actual}, expected NaN");
            return;
        }

        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{what}: {actual:R}, expected {expected:R}");
    }

    /// <summary>
    /// A packed matrix from raw GGUF blocks: every byte value for the weights, and scales that are zero,
    /// −0, subnormal, the largest fp16, negative, infinite (one block of row 1) and random.
    /// </summary>
    private sealed unsafe class RawMatrix : IDisposable
    {
        private readonly byte* _data;

        public RawMatrix(DType dtype, int rows, int cols, Random random)
        {
            var blockBytes = dtype.BlockBytes();
            var blocks = cols / 32;
            var gguf = new byte[rows * blocks * blockBytes];
            random.NextBytes(gguf);
            for (var i = 0; i < rows * blocks; i++)
            {
                var scale = i switch
                {
                    0 => Half.Zero,
                    1 => Half.NegativeZero,
                    2 => Half.Epsilon,
                    3 => Half.MaxValue,
                    4 => (Half)(-0.002f),
                    5 => BitConverter.UInt16BitsToHalf(0x03FF), // the largest subnormal
                    _ when i == blocks + (blocks / 2) => Half.PositiveInfinity,
                    _ => (Half)((random.NextDouble() - 0.5) * 0.05),
                };
                BinaryPrimitives.WriteHalfLittleEndian(gguf.AsSpan(i * blockBytes), scale);
            }

            _data = (byte*)NativeMemory.AlignedAlloc((nuint)QuantizedRowGroups.Bytes(dtype, rows, cols), 64);
            fixed (byte* source = gguf)
            {
                Matrix = QuantizedRowGroups.Pack(dtype, rows, cols, source, _data);
            }
        }

        public WeightMatrix Matrix { get; }

        public void Dispose() => NativeMemory.AlignedFree(_data);
    }
}
