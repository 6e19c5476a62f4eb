using System.Diagnostics;
using System.Runtime.CompilerServices;
using Tandem.Engine.Kernels;

/// <summary>
/// The Q8_0 / Q4_0 AVX2 / AVX-VNNI tiles (<see cref="QuantizedTiles"/>) alone, on one thread, over one
/// row group small enough to stay in L1/L2: the kernel's ceiling in weight bytes per second, to tell
/// a compute-bound kernel from a memory-bound one.
/// </summary>
internal static unsafe class QuantizedTileBench
{
    // Compiled optimized at once: under tiering, on-stack replacement of this loop made some rounds ten times slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(bool q4, int blocks, int tokens)
    {
        using var data = new QuantizedTileData(q4, blocks);
        byte* none = null;
        var repeats = 40_000_000 / data.GroupBytes;
        Console.WriteLine($"{(q4 ? "Q4_0" : "Q8_0")} 16 rows x {tokens} token(s) on {QuantizedTiles.UnitName}, one thread: {blocks} blocks ({data.GroupBytes / 1024} KiB of weights)");
        for (var round = 0; round <= 5; round++)
        {
            // Round 0 compiles the tiles and is not shown.
            var watch = Stopwatch.StartNew();
            for (var r = 0; r < (round == 0 ? 1 : repeats); r++)
            {
                if (tokens == 4)
                {
                    if (q4)
                    {
                        QuantizedTiles.Group16x4<Q4Blocks>(data.Group, blocks, data.A, data.AStride, data.Y, 16, 16, ref none, null, 0);
                    }
                    else
                    {
                        QuantizedTiles.Group16x4<Q8Blocks>(data.Group, blocks, data.A, data.AStride, data.Y, 16, 16, ref none, null, 0);
                    }
                }
                else if (q4)
                {
                    QuantizedTiles.Group16x1<Q4Blocks>(data.Group, blocks, data.A, data.Y, 16);
                }
                else
                {
                    QuantizedTiles.Group16x1<Q8Blocks>(data.Group, blocks, data.A, data.Y, 16);
                }
            }

            if (round == 0)
            {
                continue;
            }

            var seconds = watch.Elapsed.TotalSeconds;
            var ns = seconds * 1e9 / ((double)repeats * blocks);
            Console.WriteLine($"  {(double)data.GroupBytes * repeats / seconds / 1e9:F1} GB/s of weights, {ns:F2} ns a block");
        }
    }
}
