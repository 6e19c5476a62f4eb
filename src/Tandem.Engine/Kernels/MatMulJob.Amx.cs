using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tandem.Engine.Kernels.Amx;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Kernels;

/// <summary>
/// BF16 matrices on AMX tiles: x split into BF16 parts and packed in groups of 5 tokens (threads
/// split the steps), then threads split blocks of 32 rows; each block runs the tile routine over
/// two groups at a time.
/// </summary>
internal sealed unsafe partial class MatMulJob
{
    [ThreadStatic]
    private static PinnedFloats? t_cTiles;

    private readonly Action<int, int> _runTiles;
    private readonly Action<int, int> _packTiles;
    private float* _source;
    private byte* _operands;
    private nint _groupBytes;

    private void RunOnTiles(in WeightMatrix w, ReadOnlySpan<float> x, int n, Span<float> y, KernelThreads threads, bool reuse)
    {
        var steps = w.Cols / AmxBf16Kernel.Columns;
        _groupBytes = steps * AmxBf16Operands.StepBytes;
        _operands = (byte*)_packed.Ensure(Groups(n) * _groupBytes / sizeof(float));
        fixed (float* source = x)
        fixed (float* output = y)
        {
            _w = w;
            _n = n;
            _source = source;
            _y = output;
            try
            {
                if (!reuse)
                {
                    threads.For(steps, 8, _packTiles);
                }

                threads.For(w.Rows / AmxBf16Kernel.Rows, 1, _runTiles);
            }
            finally
            {
                _source = null;
                _y = null;
            }
        }
    }

    /// <summary>Every group's operands for steps [start, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PackTiles(int start, int end)
    {
        for (var g = 0; g < Groups(_n); g++)
        {
            var first = g * AmxBf16Kernel.GroupTokens;
            AmxBf16Operands.Pack(_source + ((long)first * _w.Cols), _w.Cols, GroupSize(g, _n), start, end, _operands + (g * _groupBytes));
        }
    }

    private static int Groups(int n) => (n + AmxBf16Kernel.GroupTokens - 1) / AmxBf16Kernel.GroupTokens;

    private static int GroupSize(int group, int n) => Math.Min(AmxBf16Kernel.GroupTokens, n - (group * AmxBf16Kernel.GroupTokens));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunTiles(int start, int end)
    {
        var c = (t_cTiles ??= new PinnedFloats()).Ensure(4 * AmxBf16Kernel.CFloats);
        var steps = _w.Cols / AmxBf16Kernel.Columns;
        var groups = Groups(_n);
        for (var block = start; block < end; block++)
        {
            var row0 = block * AmxBf16Kernel.Rows;
            var w = _w.Data + ((long)row0 * 2 * _w.Cols);
            for (var g = 0; g < groups; g += 2)
            {
                var x0 = _operands + (g * _groupBytes);
                var second = g + 1 < groups;
                AmxBf16Kernel.Multiply(w, x0, GroupSize(g, _n), second ? x0 + _groupBytes : null, second ? GroupSize(g + 1, _n) : 0, steps, c);
                Store(c, row0, g, second ? 2 : 1);
            }
        }
    }

    /// <summary>y for the block's 32 rows and the pass's groups: each token's three part rows added as h + (m + l).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Store(float* c, int row0, int firstGroup, int groups)
    {
        nint yStride = _w.Rows;
        for (var q = 0; q < groups; q++)
        {
            var firstToken = (firstGroup + q) * AmxBf16Kernel.GroupTokens;
            var tokens = GroupSize(firstGroup + q, _n);
            for (var half = 0; half < 2; half++)
            {
                var tile = c + (((q * 2) + half) * AmxBf16Kernel.CFloats);
                for (var t = 0; t < tokens; t++)
                {
                    var parts = tile + (3 * t * 16);
                    var sum = Vector512.Load(parts) + (Vector512.Load(parts + 16) + Vector512.Load(parts + 32));
                    sum.Store(_y + ((firstToken + t) * yStride) + row0 + (half * 16));
                }
            }
        }
    }
}
