using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tandem.Engine.Kernels;

/// <summary>
/// A BF16 tile alone (the 512-bit 4 × 4, or the AVX2 1 × 4), on one thread, over weights and x small enough to stay in
/// cache: what the kernel does when memory is not in the way. Compare with the matmul rows of the
/// main benchmark (weights from memory) to see how much the memory system costs.
/// </summary>
internal static unsafe class TileBench
{
    /// <summary>The 512-bit 4 × 4 tile.</summary>
    public static void Run(int rows, int chunks, int tokens)
    {
        rows = Math.Max(4, rows & ~3);
        var noPrefetch = (byte*)null;
        Measure("BF16 tile 4x4", rows, chunks, tokens, (w, cols, x, xStride, y, acc) =>
        {
            for (var i = 0; i < rows; i += 4)
            {
                for (var t = 0; t < tokens; t += 4)
                {
                    DotTiles.Tile4x4<BF16Chunks>(w + (i * cols * 2), cols * 2, cols, 0, chunks, x + (t * xStride), xStride, (Vector512<float>*)acc + (t * 4), y + (t * rows) + i, rows, ref noPrefetch, null);
                }
            }
        });
    }

    /// <summary>The AVX2 BF16 1-row × 4-token tile.</summary>
    public static void Run256(int rows, int chunks, int tokens)
    {
        var noPrefetch = (byte*)null;
        Measure("BF16 AVX2 tile 1x4", rows, chunks, tokens, (w, cols, x, xStride, y, acc) =>
        {
            for (var t = 0; t < tokens; t += 4)
            {
                for (var i = 0; i < rows; i++)
                {
                    DotTiles256.Tile1x4<BF16Chunks>(w + (i * cols * 2), cols, 0, chunks, x + (t * xStride), xStride, acc + (t * 16), y + (t * rows) + i, rows, ref noPrefetch, null);
                }
            }
        });
    }

    private delegate void Pass(byte* w, int cols, float* x, int xStride, float* y, float* acc);

    /// <summary>Weights, x, y and accumulators allocated once; six rounds of repeated passes, GFLOP/s each.</summary>
    private static void Measure(string title, int rows, int chunks, int tokens, Pass pass)
    {
        tokens = Math.Max(4, tokens & ~3);
        var cols = chunks * 32;
        var xStride = cols + 16;
        var w = (byte*)NativeMemory.AlignedAlloc((nuint)(rows * cols * 2), 4096);
        var x = (float*)NativeMemory.AlignedAlloc((nuint)(tokens * xStride * sizeof(float)), 4096);
        var y = (float*)NativeMemory.AlignedAlloc((nuint)(tokens * rows * sizeof(float)), 4096);
        var acc = (float*)NativeMemory.AlignedAlloc((nuint)(tokens * 4 * 64), 64);
        try
        {
            new Span<byte>(w, rows * cols * 2).Fill(0x3c);
            new Span<float>(x, tokens * xStride).Fill(0.5f);
            var repeats = Math.Max(1, 8000 / tokens);
            Console.WriteLine($"{title}, one thread: {rows} rows x {cols} columns ({rows * cols * 2 / 1024} KiB), {tokens} tokens ({tokens * xStride * 4 / 1024} KiB of x)");
            for (var round = 0; round < 6; round++)
            {
                var watch = Stopwatch.StartNew();
                for (var r = 0; r < repeats; r++)
                {
                    pass(w, cols, x, xStride, y, acc);
                }

                var flops = 2.0 * rows * cols * tokens * repeats;
                Console.WriteLine($"round {round}: {flops / watch.Elapsed.TotalSeconds / 1e9:F1} GFLOP/s");
            }
        }
        finally
        {
            NativeMemory.AlignedFree(w);
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(y);
            NativeMemory.AlignedFree(acc);
        }
    }
}
