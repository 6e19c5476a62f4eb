using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tandem.Engine.Kernels;
using Tandem.Engine.KvCache;
using Tandem.Engine.Weights;

// MatMul throughput on TinyLlama-1.1B shapes.
// usage: Tandem.Bench.Kernels [dtype=BF16 (F32, BF16 or F16 in row groups, bf16-rows / f16-rows: row-major, Q8_0, Q4_0, or amx: BF16 on AMX tiles)] [threads=ProcessorCount] [n list, e.g. 1,4,16,64,128] [shape indexes, e.g. 0,3]
//        Tandem.Bench.Kernels calibrate [threads]: only the host's limits, as "bandwidth_gbps=X peak_gflops=Y" (for bench/run-engine-comparison.sh)
//        Tandem.Bench.Kernels attention [threads] [positions=1024] [float32|bfloat16]: one layer of attention on the TinyLlama-1.1B head shape
//        Tandem.Bench.Kernels tile ROWS CHUNKS [tokens=4]: the BF16 4x4 tile alone on one thread, weights and x hot in cache (the kernel's ceiling)
//        Tandem.Bench.Kernels tile256 ROWS CHUNKS [tokens=4]: the BF16 1x4 AVX2 tile alone on one thread, in cache
//        Tandem.Bench.Kernels q-tile q8_0|q4_0 [blocks=64] [tokens=1|4]: the 16-row AVX2 / AVX-VNNI tile alone on one thread, in cache
//        Tandem.Bench.Kernels vnni-tile q8_0|q4_0 [blocks=64]: the 16-row x 4-token tile on 512-bit VNNI alone on one thread, in cache
//        BENCH_COPIES=N: cycle through N copies of each matrix instead of 256 MiB of them (1: weights hot in L3, to tell memory from kernel)
if (args is ["attention", ..])
{
    AttentionBench.Run(
        args.Length > 1 ? int.Parse(args[1]) : Environment.ProcessorCount,
        args.Length > 2 ? int.Parse(args[2]) : 1024,
        args.Length > 3 ? KvCacheDTypes.Parse(args[3]) ?? throw new ArgumentException($"KV dtype: {KvCacheDTypes.Accepted}") : KvCacheDType.Float32);
    return;
}

if (args is ["tile256", ..])
{
    TileBench.Run256(int.Parse(args[1]), int.Parse(args[2]), args.Length > 3 ? int.Parse(args[3]) : 4);
    return;
}

if (args is ["tile", ..])
{
    TileBench.Run(int.Parse(args[1]), int.Parse(args[2]), args.Length > 3 ? int.Parse(args[3]) : 4);
    return;
}

if (args is ["q-tile", ..])
{
    QuantizedTileBench.Run(args.Length > 1 && args[1].Equals("q4_0", StringComparison.OrdinalIgnoreCase), args.Length > 2 ? int.Parse(args[2]) : 64, args.Length > 3 ? int.Parse(args[3]) : 1);
    return;
}

if (args is ["vnni-tile", ..])
{
    VnniTileBench.Run(args.Length > 1 && args[1].Equals("q4_0", StringComparison.OrdinalIgnoreCase), args.Length > 2 ? int.Parse(args[2]) : 64);
    return;
}

if (args is ["calibrate", ..])
{
    using var calibrationThreads = new KernelThreads(args.Length > 1 ? int.Parse(args[1]) : Environment.ProcessorCount);
    var gbps = Calibration.ReadGBps(calibrationThreads);
    var gflops = Calibration.FmaGflops(calibrationThreads).Wall;
    Console.WriteLine(FormattableString.Invariant($"bandwidth_gbps={gbps:F1} peak_gflops={gflops:F1}"));
    return;
}

// "amx" runs BF16 on AMX tiles (where the machine has them).
// "bf16-rows" / "f16-rows" run row-major (the layout when the engine's row groups are off, TANDEM_ROW_GROUPS=0); "BF16" / "F16" run row groups.
var amx = args.Length > 0 && args[0].Equals("amx", StringComparison.OrdinalIgnoreCase);
var rowMajor = args.Length > 0 && args[0].EndsWith("-rows", StringComparison.OrdinalIgnoreCase);
var dtype = amx ? DType.BF16 : args.Length > 0 ? Enum.Parse<DType>(rowMajor ? args[0][..^5] : args[0], ignoreCase: true) : DType.BF16;
var floatGroups = dtype is DType.BF16 or DType.F16 && !amx && !rowMajor;
var threadCount = args.Length > 1 ? int.Parse(args[1]) : Environment.ProcessorCount;
int[] batches = args.Length > 2 ? [.. args[2].Split(',').Select(int.Parse)] : [1, 4, 16, 64, 128];
(int Rows, int Cols)[] shapes = [(2048, 2048), (256, 2048), (5632, 2048), (2048, 5632), (32000, 2048)];
if (args.Length > 3)
{
    shapes = [.. args[3].Split(',').Select(i => shapes[int.Parse(i)])];
}

Console.WriteLine($"machine: {Environment.ProcessorCount} cpus, {RuntimeInformation.ProcessArchitecture}, {RuntimeInformation.FrameworkDescription}, Vector512 {Vector512.IsHardwareAccelerated}");

using var threads = new KernelThreads(threadCount);
using var process = Process.GetCurrentProcess();
var peak = Calibration.FmaGflops(threads);
Console.WriteLine($"host now: FMA peak {peak.Wall:F0} GFLOP/s (per cpu-time {peak.Cpu:F0}), read bandwidth {Calibration.ReadGBps(threads):F1} GB/s (on {threadCount} threads)");
Console.WriteLine($"dtype {dtype}{(amx ? " on AMX tiles" : floatGroups ? " in row groups" : dtype is DType.BF16 or DType.F16 ? " row-major" : "")}, threads {threadCount}; ms = best wall time of repeats; GB/s = weight bytes / ms; ratio = ms(n) / ms(first n)");
Console.WriteLine("cpu-ms = process cpu time / threads in that round: when the host is shared, cpu-ms << ms means we were preempted");
Console.WriteLine($"{"shape",-12} {"n",4} {"ms",9} {"GB/s",7} {"GFLOP/s",8} {"ratio",6} {"cpu-ms",9} {"GB/s",7} {"GFLOP/s",8}");
foreach (var (rows, cols) in shapes)
{
    // Enough copies to cycle through 256 MiB, so that the weights come from memory, not from L3.
    var bytes = rows * dtype.RowBytes(cols);
    var copies = Environment.GetEnvironmentVariable("BENCH_COPIES") is { } bc ? int.Parse(bc) : (int)Math.Clamp((256L << 20) / bytes, 1, 256);
    var matrices = Enumerable.Range(0, copies).Select(_ => new BenchMatrix(dtype, rows, cols, amx, floatGroups)).ToArray();
    var matrix = matrices[0];
    var x = new float[batches.Max() * cols];
    var y = new float[batches.Max() * rows];
    var random = new Random(1);
    for (var i = 0; i < x.Length; i++)
    {
        x[i] = (float)((random.NextDouble() * 2) - 1);
    }

    double single = 0;
    foreach (var n in batches)
    {
        var flops = 2.0 * rows * cols * n;
        var repeats = (int)Math.Clamp(3e9 / (flops + (matrix.Matrix.ByteCount * 20)), copies, 400);
        var best = double.MaxValue;
        var bestCpu = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            MatMul.Compute(matrix.Matrix, x.AsSpan(0, n * cols), n, y, threads);
            var cpu = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < repeats; i++)
            {
                MatMul.Compute(matrices[i % copies].Matrix, x.AsSpan(0, n * cols), n, y, threads);
            }

            best = Math.Min(best, watch.Elapsed.TotalSeconds / repeats);
            process.Refresh();
            bestCpu = Math.Min(bestCpu, (process.TotalProcessorTime - cpu).TotalSeconds / repeats / threadCount);
        }

        if (n == batches[0])
        {
            single = best;
        }

        Console.WriteLine($"{rows + "x" + cols,-12} {n,4} {best * 1e3,9:F3} {matrix.Matrix.ByteCount / best / 1e9,7:F1} {flops / best / 1e9,8:F1} {best / single,6:F2} {bestCpu * 1e3,9:F3} {matrix.Matrix.ByteCount / bestCpu / 1e9,7:F1} {flops / bestCpu / 1e9,8:F1}");
    }

    foreach (var m in matrices)
    {
        m.Dispose();
    }
}

peak = Calibration.FmaGflops(threads);
Console.WriteLine($"host at the end: FMA peak {peak.Wall:F0} GFLOP/s (per cpu-time {peak.Cpu:F0}), read bandwidth {Calibration.ReadGBps(threads):F1} GB/s");

internal sealed unsafe class BenchMatrix : IDisposable
{
    private readonly byte* _data;
    private readonly byte* _tiles;

    public BenchMatrix(DType dtype, int rows, int cols, bool amx = false, bool groups = false)
    {
        var count = (long)rows * cols;
        var random = new Random(rows + cols);
        if (dtype.IsQuantized())
        {
            _data = (byte*)NativeMemory.AlignedAlloc((nuint)QuantizedRowGroups.Bytes(dtype, rows, cols), 4096);
            var rowBytes = (int)dtype.RowBytes(cols);
            var blocks = new byte[rows * rowBytes];
            var row = new float[cols];
            for (var r = 0; r < rows; r++)
            {
                for (var k = 0; k < cols; k++)
                {
                    row[k] = (float)(random.NextDouble() - 0.5) * 0.1f;
                }

                Quantizer.QuantizeRow(row, dtype, blocks.AsSpan(r * rowBytes, rowBytes));
            }

            fixed (byte* source = blocks)
            {
                Matrix = QuantizedRowGroups.Pack(dtype, rows, cols, source, _data);
            }

            return;
        }

        _data = (byte*)NativeMemory.AlignedAlloc((nuint)(rows * dtype.RowBytes(cols)), 4096);

        for (long i = 0; i < count; i++)
        {
            var v = (float)(random.NextDouble() - 0.5) * 0.1f;
            switch (dtype)
            {
                case DType.F32:
                    ((float*)_data)[i] = v;
                    break;
                case DType.F16:
                    ((Half*)_data)[i] = (Half)v;
                    break;
                default:
                    ((ushort*)_data)[i] = BFloat16.FromSingle(v);
                    break;
            }
        }

        Matrix = new WeightMatrix(_data, dtype, rows, cols);
        if (amx)
        {
            _tiles = (byte*)NativeMemory.AlignedAlloc((nuint)Matrix.ByteCount, 4096);
            Matrix = Tandem.Engine.Kernels.Amx.AmxTileRows.Pack(Matrix, _tiles);
        }
        else if (groups)
        {
            _tiles = (byte*)NativeMemory.AlignedAlloc((nuint)FloatRowGroups.Bytes(dtype, rows, cols), 4096);
            Matrix = FloatRowGroups.Pack(Matrix, _tiles);
        }
    }

    public WeightMatrix Matrix { get; }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_data);
        NativeMemory.AlignedFree(_tiles);
    }
}
