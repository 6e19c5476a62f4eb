using System.Runtime.InteropServices;
using Tandem.Engine.Kernels;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Tests.Kernels;

/// <summary>A random matrix in native memory, stored in a dtype, with its exact fp32 values kept for references.</summary>
internal sealed unsafe class TestMatrix : IDisposable
{
    private readonly byte* _data;
    private readonly byte* _groups;

    // floatGroups (BF16 only): Matrix is the row-major matrix packed into row groups (FloatRowGroups).
    public TestMatrix(DType dtype, int rows, int cols, int seed, bool floatGroups = false)
    {
        var random = new Random(seed);
        Values = new float[(long)rows * cols];
        if (dtype.IsQuantized())
        {
            // Random rows quantized with the engine's quantizer into GGUF blocks, then packed into row
            // groups; Values are the exact dequantized weights.
            _data = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, QuantizedRowGroups.Bytes(dtype, rows, cols)), 64);
            var rowBytes = (int)dtype.RowBytes(cols);
            var blocks = new byte[Math.Max(1, rows * rowBytes)];
            var row = new float[cols];
            for (var r = 0; r < rows; r++)
            {
                for (var k = 0; k < cols; k++)
                {
                    row[k] = (float)((random.NextDouble() * 2) - 1);
                }

                Quantizer.QuantizeRow(row, dtype, blocks.AsSpan(r * rowBytes, rowBytes));
            }

            fixed (byte* source = blocks)
            {
                Matrix = QuantizedRowGroups.Pack(dtype, rows, cols, source, _data);
            }

            for (var r = 0; r < rows; r++)
            {
                WeightRows.ToFloat(Matrix, r, Values.AsSpan(r * cols, cols));
            }

            return;
        }

        _data = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, rows * dtype.RowBytes(cols)), 64);

        for (var i = 0; i < Values.Length; i++)
        {
            var v = (float)((random.NextDouble() * 2) - 1);
            switch (dtype)
            {
                case DType.F32:
                    ((float*)_data)[i] = v;
                    break;
                case DType.F16:
                    var h = (Half)v;
                    ((Half*)_data)[i] = h;
                    v = (float)h;
                    break;
                case DType.BF16:
                    var b = BFloat16.FromSingle(v);
                    ((ushort*)_data)[i] = b;
                    v = BFloat16.ToSingle(b);
                    break;
            }

            Values[i] = v;
        }

        Matrix = new WeightMatrix(_data, dtype, rows, cols);
        if (floatGroups)
        {
            _groups = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, FloatRowGroups.Bytes(dtype, rows, cols)), 64);
            Matrix = FloatRowGroups.Pack(Matrix, _groups);
        }
    }

    public WeightMatrix Matrix { get; }

    public float[] Values { get; }

    /// <summary>Row <paramref name="row"/> · token <paramref name="token"/> of x in double, and the sum of the products' magnitudes.</summary>
    public (double Sum, double Magnitude) DoubleDot(int row, float[] x, int token)
    {
        var cols = Matrix.Cols;
        double sum = 0, magnitude = 0;
        for (var k = 0; k < cols; k++)
        {
            var p = (double)Values[(row * cols) + k] * x[(token * cols) + k];
            sum += p;
            magnitude += Math.Abs(p);
        }

        return (sum, magnitude);
    }

    /// <summary>Every float type on every vector width of the float products: the widest native one, the AVX2 kernels, the scalar code.</summary>
    public static TheoryData<DType, string> FloatTypesAndWidths()
    {
        var data = new TheoryData<DType, string>();
        foreach (var dtype in (DType[])[DType.F32, DType.F16, DType.BF16])
        {
            foreach (var width in (FloatVectorWidth[])[FloatVectorWidth.Auto, FloatVectorWidth.Vector256, FloatVectorWidth.Scalar])
            {
                data.Add(dtype, width.ToString());
            }
        }

        return data;
    }

    /// <summary>The width a <see cref="FloatTypesAndWidths"/> row names; skips the test where the CPU cannot run it (AVX2 without AVX2).</summary>
    internal static FloatVectorWidth WidthOrSkip(string name)
    {
        var width = Enum.Parse<FloatVectorWidth>(name);
        if (width == FloatVectorWidth.Vector256 && !DotTiles256.IsSupported)
        {
            Assert.Skip("the AVX2 kernels need AVX2 and FMA, which this CPU lacks");
        }

        return width;
    }

    public static float[] RandomVector(int length, Random random)
    {
        var x = new float[length];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return x;
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_data);
        NativeMemory.AlignedFree(_groups);
    }
}
