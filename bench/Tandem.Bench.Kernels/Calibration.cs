using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tandem.Engine.Kernels;

/// <summary>What this host gives right now (it is shared): FMA peak and read bandwidth on the kernel threads.</summary>
internal static class Calibration
{
    /// <summary>FMA GFLOP/s over wall time and over cpu time / threads.</summary>
    public static (double Wall, double Cpu) FmaGflops(KernelThreads threads)
    {
        const int iterations = 20_000_000;
        using var process = Process.GetCurrentProcess();
        var best = double.MaxValue;
        var bestCpu = double.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            threads.For(threads.Count, 1, (_, _) => FmaLoop(Vector512.IsHardwareAccelerated ? iterations : 2 * iterations));
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
            process.Refresh();
            bestCpu = Math.Min(bestCpu, (process.TotalProcessorTime - cpu).TotalSeconds / threads.Count);
        }

        var flops = threads.Count * (double)iterations * 10 * 16 * 2;
        return (flops / best / 1e9, flops / bestCpu / 1e9);
    }

    public static double ReadGBps(KernelThreads threads)
    {
        var data = new float[128 * 1024 * 1024];
        data.AsSpan().Fill(1f);
        var best = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var watch = Stopwatch.StartNew();
            threads.For(data.Length, 4096, (start, end) => TensorPrimitives.Sum(data.AsSpan(start, end - start)));
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }

        return data.Length * 4.0 / best / 1e9;
    }

    /// <summary>
    /// 10 independent FMA chains of 16 lanes per iteration (512-bit vectors; without them, 256-bit
    /// vectors for twice the iterations: .NET emulates Vector512 there, far below the FMA units' rate).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float FmaLoop(int iterations)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return FmaLoop256(iterations);
        }

        var m = Vector512.Create(0.999f);
        var a = Vector512.Create(0.1f);
        Vector512<float> a0 = a, a1 = a, a2 = a, a3 = a, a4 = a, a5 = a, a6 = a, a7 = a, a8 = a, a9 = a;
        for (var i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, a);
            a1 = Vector512.FusedMultiplyAdd(a1, m, a);
            a2 = Vector512.FusedMultiplyAdd(a2, m, a);
            a3 = Vector512.FusedMultiplyAdd(a3, m, a);
            a4 = Vector512.FusedMultiplyAdd(a4, m, a);
            a5 = Vector512.FusedMultiplyAdd(a5, m, a);
            a6 = Vector512.FusedMultiplyAdd(a6, m, a);
            a7 = Vector512.FusedMultiplyAdd(a7, m, a);
            a8 = Vector512.FusedMultiplyAdd(a8, m, a);
            a9 = Vector512.FusedMultiplyAdd(a9, m, a);
        }

        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float FmaLoop256(int iterations)
    {
        var m = Vector256.Create(0.999f);
        var a = Vector256.Create(0.1f);
        Vector256<float> a0 = a, a1 = a, a2 = a, a3 = a, a4 = a, a5 = a, a6 = a, a7 = a, a8 = a, a9 = a;
        for (var i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, a);
            a1 = Vector256.FusedMultiplyAdd(a1, m, a);
            a2 = Vector256.FusedMultiplyAdd(a2, m, a);
            a3 = Vector256.FusedMultiplyAdd(a3, m, a);
            a4 = Vector256.FusedMultiplyAdd(a4, m, a);
            a5 = Vector256.FusedMultiplyAdd(a5, m, a);
            a6 = Vector256.FusedMultiplyAdd(a6, m, a);
            a7 = Vector256.FusedMultiplyAdd(a7, m, a);
            a8 = Vector256.FusedMultiplyAdd(a8, m, a);
            a9 = Vector256.FusedMultiplyAdd(a9, m, a);
        }

        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9);
    }
}
