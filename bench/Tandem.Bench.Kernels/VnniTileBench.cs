using System.Diagnostics;
using Tandem.Engine.Kernels.Vnni512;

/// <summary>
/// The Q8_0 / Q4_0 4-token tile on 512-bit VNNI alone, on one thread, over one row group and four
/// tokens small enough to stay in cache: the routine's ceiling in int8 operations per second.
/// </summary>
internal static unsafe class VnniTileBench
{
    public static void Run(bool q4, int blocks)
    {
        using var data = new QuantizedTileData(q4, blocks);
        byte* none = null;
        const int repeats = 20000;
        Console.WriteLine($"{(q4 ? "Q4_0" : "Q8_0")} 16 rows x 4 tokens on 512-bit VNNI, one thread: {blocks} blocks ({data.GroupBytes / 1024} KiB of weights, {4 * data.AStride / 1024} KiB of activations)");
        for (var round = 0; round < 5; round++)
        {
            var watch = Stopwatch.StartNew();
            for (var r = 0; r < repeats; r++)
            {
                QuantizedMatVec.Multiply4(q4, data.Group, blocks, data.A, data.AStride, data.Y, 16, ref none, null, 0);
            }

            var ops = 2.0 * 16 * 4 * 32 * blocks * repeats;
            Console.WriteLine($"  {ops / watch.Elapsed.TotalSeconds / 1e9:F0} GOP/s");
        }
    }
}
