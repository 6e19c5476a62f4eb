using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tandem.Engine.Kernels;

/// <summary>
/// The MLP's gate: gate = silu(gate) ⊙ up = gate / (1 + e^−gate) · up, element by element, 16 lanes
/// at a time (<see cref="Vector512.Exp(Vector512{float})"/>), or 8 where the CPU has no 512-bit
/// vectors. A row's last elements, when it is not a multiple of the width, go through the same vector
/// code from a padded copy, so an element's result depends only on its two inputs, never on where it
/// sits in the batch (DESIGN.md rule 3).
/// </summary>
internal static class SwiGlu
{
    /// <summary>gate[i] = silu(gate[i]) · up[i] for every i.</summary>
    public static void Apply(Span<float> gate, ReadOnlySpan<float> up) => Apply(gate, up, Vector512.IsHardwareAccelerated);

    /// <summary>As <see cref="Apply(Span{float}, ReadOnlySpan{float})"/>, 16 lanes or 8 as asked (tests run both).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Apply(Span<float> gate, ReadOnlySpan<float> up, bool wide)
    {
        if (gate.Length != up.Length)
        {
            throw new ArgumentException($"gate has {gate.Length} elements and up {up.Length}", nameof(up));
        }

        var lanes = wide ? Vector512<float>.Count : Vector256<float>.Count;
        ref var g = ref MemoryMarshal.GetReference(gate);
        ref var u = ref MemoryMarshal.GetReference(up);
        var whole = gate.Length - (gate.Length % lanes);
        for (var i = 0; i < whole; i += lanes)
        {
            if (wide)
            {
                Gate(Vector512.LoadUnsafe(ref g, (nuint)i), Vector512.LoadUnsafe(ref u, (nuint)i)).StoreUnsafe(ref g, (nuint)i);
            }
            else
            {
                Gate(Vector256.LoadUnsafe(ref g, (nuint)i), Vector256.LoadUnsafe(ref u, (nuint)i)).StoreUnsafe(ref g, (nuint)i);
            }
        }

        if (whole < gate.Length)
        {
            Span<float> lastGate = stackalloc float[Vector512<float>.Count];
            Span<float> lastUp = stackalloc float[Vector512<float>.Count];
            lastGate.Clear();
            lastUp.Clear();
            gate[whole..].CopyTo(lastGate);
            up[whole..].CopyTo(lastUp);
            if (wide)
            {
                Gate(Vector512.Create<float>(lastGate), Vector512.Create<float>(lastUp)).CopyTo(lastGate);
            }
            else
            {
                Gate(Vector256.Create<float>(lastGate), Vector256.Create<float>(lastUp)).CopyTo(lastGate);
            }

            lastGate[..(gate.Length - whole)].CopyTo(gate[whole..]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Gate(Vector512<float> g, Vector512<float> u) => g / (Vector512<float>.One + Vector512.Exp(-g)) * u;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Gate(Vector256<float> g, Vector256<float> u) => g / (Vector256<float>.One + Vector256.Exp(-g)) * u;
}
