using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tandem.Engine.Kernels;

/// <summary>
/// The MLP's gate: gate = silu(gate) ⊙ up = gate / (1 + e^−gate) · up, element by element, 16 lanes
/// at a time (<see cref="Vector512.Exp(Vector512{float})"/>). A row's last elements, when it is not a
/// multiple of 16, go through the same 16-lane code from a padded copy, so an element's result depends
/// only on its two inputs, never on where it sits in the batch (DESIGN.md rule 3).
/// </summary>
internal static class SwiGlu
{
    private const int Lanes = 16;

    /// <summary>gate[i] = silu(gate[i]) · up[i] for every i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(Span<float> gate, ReadOnlySpan<float> up)
    {
        if (gate.Length != up.Length)
        {
            throw new ArgumentException($"gate has {gate.Length} elements and up {up.Length}", nameof(up));
        }

        ref var g = ref MemoryMarshal.GetReference(gate);
        ref var u = ref MemoryMarshal.GetReference(up);
        var whole = gate.Length - (gate.Length % Lanes);
        for (var i = 0; i < whole; i += Lanes)
        {
            Gate(Vector512.LoadUnsafe(ref g, (nuint)i), Vector512.LoadUnsafe(ref u, (nuint)i)).StoreUnsafe(ref g, (nuint)i);
        }

        if (whole < gate.Length)
        {
            Span<float> lastGate = stackalloc float[Lanes];
            Span<float> lastUp = stackalloc float[Lanes];
            lastGate.Clear();
            lastUp.Clear();
            gate[whole..].CopyTo(lastGate);
            up[whole..].CopyTo(lastUp);
            Gate(Vector512.Create<float>(lastGate), Vector512.Create<float>(lastUp)).CopyTo(lastGate);
            lastGate[..(gate.Length - whole)].CopyTo(gate[whole..]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Gate(Vector512<float> g, Vector512<float> u) => g / (Vector512<float>.One + Vector512.Exp(-g)) * u;
}
