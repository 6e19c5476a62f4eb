using System.Diagnostics;
using System.Runtime.InteropServices;
using Tandem.Engine.Kernels;

/// <summary>
/// The Q8_0 / Q4_0 AVX2 / AVX-VNNI tiles (<see cref="QuantizedTiles"/>) alone, on one thread, over one
/// row group small enough to stay in L1/L2: the kernel's ceiling in weight bytes per second, to tell
/// a compute-bound kernel from a memory-bound one.
/// </summary>
internal static unsafe class QuantizedTileBench
{
    public static void Run(bool q4, int blocks, int tokens)
    {
        var dataBytes = q4 ? 256 : 512;
        var groupBytes = blocks * (32 + dataBytes);
        var aStride = (blocks * 64) + 64;
        var group = (byte*)NativeMemory.AlignedAlloc((nuint)groupBytes, 64);
        var a = (byte*)NativeMemory.AlignedAlloc((nuint)(4 * aStride), 64);
        var y = (float*)NativeMemory.AlignedAlloc(4 * 16 * sizeof(float), 64);
        try
        {
            new Span<byte>(group, groupBytes).Fill(0x11);
            new Span<byte>(a, 4 * aStride).Fill(0x01);
            for (var t = 0; t < 4; t++)
            {
                for (var b = 0; b < blocks; b++)
                {
                    // A normal activation scale: products of tiny scales would be subnormal and slow.
                    *(float*)(a + (t * aStride) + (b * 64) + ActivationBlocks.ScaleOffset) = 0.01f;
                }
            }

            byte* none = null;
            var repeats = 40_000_000 / groupBytes;
            Console.WriteLine($"{(q4 ? "Q4_0" : "Q8_0")} 16 rows x {tokens} token(s) on {QuantizedTiles.UnitName}, one thread: {blocks} blocks ({groupBytes / 1024} KiB of weights)");
            for (var round = 0; round < 5; round++)
            {
                var watch = Stopwatch.StartNew();
                for (var r = 0; r < repeats; r++)
                {
                    if (tokens == 4)
                    {
                        if (q4)
                        {
                            QuantizedTiles.Group16x4<Q4Blocks>(group, blocks, a, aStride, y, 16, 16, ref none, null, 0);
                        }
                        else
                        {
                            QuantizedTiles.Group16x4<Q8Blocks>(group, blocks, a, aStride, y, 16, 16, ref none, null, 0);
                        }
                    }
                    else if (q4)
                    {
                        QuantizedTiles.Group16x1<Q4Blocks>(group, blocks, a, y, 16);
                    }
                    else
                    {
                        QuantizedTiles.Group16x1<Q8Blocks>(group, blocks, a, y, 16);
                    }
                }

                var seconds = watch.Elapsed.TotalSeconds;
                var ns = seconds * 1e9 / ((double)repeats * blocks);
                Console.WriteLine($"  {(double)groupBytes * repeats / seconds / 1e9:F1} GB/s of weights, {ns:F2} ns a block");
            }
        }
        finally
        {
            NativeMemory.AlignedFree(group);
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(y);
        }
    }
}
