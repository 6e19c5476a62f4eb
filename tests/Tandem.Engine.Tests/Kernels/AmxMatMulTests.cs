using Tandem.Engine.Kernels;
using Tandem.Engine.Kernels.Amx;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Kernels;

public sealed unsafe class AmxMatMulTests : IDisposable
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

    [Fact]
    public void The_three_bf16_parts_add_up_to_the_float_exactly()
    {
        var random = new Random(5);
        for (var i = 0; i < 200_000; i++)
        {
            // Magnitudes from 1e-28 to 1e30 (below ~1e-33 the last part is subnormal), both signs, every low-bit pattern.
            var x = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-27, 31)));
            AmxBf16Operands.Split(x, out var h, out var m, out var l);
            var sum = (double)Bf16(h) + Bf16(m) + Bf16(l);
            Assert.True(sum == x, $"{x:R}: {Bf16(h):R} + {Bf16(m):R} + {Bf16(l):R}");
        }

        AmxBf16Operands.Split(float.NaN, out var nh, out _, out _);
        Assert.True(float.IsNaN(Bf16(nh)));
    }

    [Fact]
    public void Packed_operands_hold_each_tokens_three_parts_as_tile_rows()
    {
        var random = new Random(6);
        foreach (var tokens in (int[])[1, 2, 5])
        {
            const int Cols = 96;
            var x = TestMatrix.RandomVector(tokens * Cols, random);
            x[5] = float.NaN;
            x[7] = 3e-39f;
            x[8] = -0f;
            x[9] = float.NegativeInfinity;
            var planes = new byte[Cols / 32 * AmxBf16Operands.StepBytes];
            fixed (float* source = x)
            fixed (byte* packed = planes)
            {
                AmxBf16Operands.Pack(source, Cols, tokens, 0, Cols / 32, packed);
                for (var t = 0; t < tokens; t++)
                {
                    for (var k = 0; k < Cols; k++)
                    {
                        AmxBf16Operands.Split(x[(t * Cols) + k], out var h, out var m, out var l);
                        var at = (ushort*)(packed + (k / 32 * AmxBf16Operands.StepBytes) + (3 * t * AmxBf16Operands.RowBytes)) + (k % 32);
                        Assert.Equal(h, at[0]);
                        Assert.Equal(m, at[32]);
                        Assert.Equal(l, at[64]);
                    }
                }
            }
        }
    }

    [Fact]
    public void Weights_in_tile_layout_read_back_as_stored()
    {
        RequireAmx();
        using var w = new TestMatrix(DType.BF16, 64, 96, seed: 2);
        using var tiled = new TiledCopy(w.Matrix);
        var row = new float[96];
        for (var r = 0; r < 64; r++)
        {
            WeightRows.ToFloat(tiled.Matrix, r, row);
            Assert.Equal(w.Values.AsSpan(r * 96, 96).ToArray(), row);
        }

        Assert.Throws<InvalidOperationException>(() => tiled.Matrix.Row(0));
    }

    [Theory]
    [InlineData(32, 32)]
    [InlineData(64, 96)]
    [InlineData(32, 2048)]
    [InlineData(64, 5632)]
    public void Every_token_gets_bit_for_bit_its_result_alone_at_every_batch_and_thread_count(int rows, int cols)
    {
        RequireAmx();
        using var w = new TestMatrix(DType.BF16, rows, cols, seed: rows + cols);
        using var tiled = new TiledCopy(w.Matrix);
        var random = new Random(cols);
        const int Most = 40;
        var x = TestMatrix.RandomVector(Most * cols, random);
        var alone = new float[Most * rows];
        for (var t = 0; t < Most; t++)
        {
            MatMul.Compute(tiled.Matrix, x.AsSpan(t * cols, cols), 1, alone.AsSpan(t * rows, rows), _one);
        }

        foreach (var n in (int[])[2, 4, 5, 6, 10, 11, 16, 17, 33, 40])
        {
            foreach (var threads in (KernelThreads[])[_one, _two, _three])
            {
                var y = new float[n * rows];
                MatMul.Compute(tiled.Matrix, x, n, y, threads);
                for (var i = 0; i < y.Length; i++)
                {
                    Assert.True(BitConverter.SingleToUInt32Bits(alone[i]) == BitConverter.SingleToUInt32Bits(y[i]), $"n {n} threads {threads.Count} token {i / rows} row {i % rows}: {y[i]:R} vs alone {alone[i]:R}");
                }
            }
        }
    }

    [Fact]
    public void A_second_tiled_matrix_on_the_same_x_uses_its_packed_parts_and_gives_what_it_gives_alone()
    {
        RequireAmx();
        const int Cols = 128;
        using var first = new TestMatrix(DType.BF16, 32, Cols, seed: 60);
        using var second = new TestMatrix(DType.BF16, 64, Cols, seed: 61);
        using var tiledFirst = new TiledCopy(first.Matrix);
        using var tiledSecond = new TiledCopy(second.Matrix);
        foreach (var n in (int[])[1, 12])
        {
            var x = TestMatrix.RandomVector(n * Cols, new Random(n));
            var fresh = new float[n * 64];
            MatMul.Compute(tiledSecond.Matrix, x, n, fresh, _two);
            MatMul.Compute(tiledFirst.Matrix, x, n, new float[n * 32], _two);
            var chained = new float[n * 64];
            MatMul.Compute(tiledSecond.Matrix, x, n, chained, _two, xUnchanged: true);
            Assert.Equal(fresh, chained);
        }
    }

    [Fact]
    public void Tiles_are_as_accurate_as_fp32_against_a_double_reference()
    {
        RequireAmx();
        const int Rows = 32, Cols = 2048, N = 5;
        using var w = new TestMatrix(DType.BF16, Rows, Cols, seed: 3);
        var x = TestMatrix.RandomVector(N * Cols, new Random(4));
        var y = new float[N * Rows];
        using var tiled = new TiledCopy(w.Matrix);
        MatMul.Compute(tiled.Matrix, x, N, y, _two);
        for (var t = 0; t < N; t++)
        {
            for (var r = 0; r < Rows; r++)
            {
                var (sum, magnitude) = w.DoubleDot(r, x, t);
                Assert.True(Math.Abs(y[(t * Rows) + r] - sum) <= 1e-6 * magnitude, $"t {t} r {r}: {y[(t * Rows) + r]} vs {sum}");
            }
        }
    }

    [Fact]
    public void A_NaN_activation_gives_NaN_outputs_for_its_token_only()
    {
        RequireAmx();
        using var w = new TestMatrix(DType.BF16, 32, 64, seed: 8);
        using var tiled = new TiledCopy(w.Matrix);
        var x = TestMatrix.RandomVector(2 * 64, new Random(9));
        x[64 + 10] = float.NaN;
        var y = new float[2 * 32];
        MatMul.Compute(tiled.Matrix, x, 2, y, _one);
        Assert.All(y[..32], v => Assert.False(float.IsNaN(v)));
        Assert.All(y[32..], v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void Only_bf16_matrices_of_whole_tiles_go_on_tiles()
    {
        using var odd = new TestMatrix(DType.BF16, 48, 64, seed: 1);
        using var narrow = new TestMatrix(DType.BF16, 32, 48, seed: 1);
        using var f32 = new TestMatrix(DType.F32, 32, 64, seed: 1);
        using var fits = new TestMatrix(DType.BF16, 32, 96, seed: 1);
        Assert.False(odd.Matrix.FitsAmxTiles);
        Assert.False(narrow.Matrix.FitsAmxTiles);
        Assert.False(f32.Matrix.FitsAmxTiles);
        Assert.True(fits.Matrix.FitsAmxTiles);
        var error = Assert.Throws<ArgumentException>(() => new TiledCopy(odd.Matrix));
        Assert.Contains("48 × 64", error.Message, StringComparison.Ordinal);
    }

    private static void RequireAmx() => Execution.AmxTests.RequireAmx();

    private static float Bf16(uint bits) => BitConverter.UInt32BitsToSingle(bits << 16);

    /// <summary>A matrix copied into the AMX tile layout, in native memory freed on dispose.</summary>
    private sealed class TiledCopy : IDisposable
    {
        private readonly byte* _data;

        public TiledCopy(in WeightMatrix source)
        {
            _data = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)source.ByteCount, 64);
            try
            {
                Matrix = AmxTileRows.Pack(source, _data);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public WeightMatrix Matrix { get; }

        public void Dispose() => System.Runtime.InteropServices.NativeMemory.AlignedFree(_data);
    }
}
