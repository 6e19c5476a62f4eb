using System.Diagnostics;
using System.Runtime.InteropServices;
using Tandem.Engine.Kernels.Vnni512;

/// <summary>
/// The Q8_0 / Q4_0 4-token tile on 512-bit VNNI alone, on one thread, over one row group and four
/// tokens small enough to stay in cache: the routine's ceiling in int8 operations per second.
/// </summary>
internal static unsafe class VnniTileBench
{
    public static void Run(bool q4, int blocks)
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
                    *(float*)(a + (t * aStride) + (b * 64) + 36) = 0.01f;
                }
            }
            byte* none = null;
            const int repeats = 20000;
            Console.WriteLine($"{(q4 ? "Q4_0" : "Q8_0")} 16 rows x 4 tokens on 512-bit VNNI, one thread: {blocks} blocks ({groupBytes / 1024} KiB of weights, {4 * aStride / 1024} KiB of activations)");
            for (var round = 0; round < 5; round++)
            {
                var watch = Stopwatch.StartNew();
                for (var r = 0; r < repeats; r++)
                {
                    QuantizedMatVec.Multiply4(q4, group, blocks, a, aStride, y, 16, ref none, null, 0);
                }

                var ops = 2.0 * 16 * 4 * 32 * blocks * repeats;
                Console.WriteLine($"  {ops / watch.Elapsed.TotalSeconds / 1e9:F0} GOP/s");
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
