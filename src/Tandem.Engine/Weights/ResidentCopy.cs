using System.Runtime.Intrinsics.X86;
using Tandem.Engine.Kernels;

namespace Tandem.Engine.Weights;

/// <summary>
/// Copies the matrices still read in place from a memory-mapped checkpoint (F32, F16 and BF16 ones that are not on AMX
/// tiles) into anonymous memory on transparent huge pages, and gives their file pages back (<see cref="PageRelease"/>),
/// so the model stays resident once. They are copied into row groups (<see cref="FloatRowGroups"/>) where
/// AVX-512 or AVX2 runs their outer-product kernels (<c>TANDEM_ROW_GROUPS=0</c> keeps them row-major).
/// </summary>
/// <remarks>
/// Why: a decode step streams every matrix once, and file pages are 4 KiB pages (~500,000 of them for a TinyLlama-1.1B
/// BF16 step), each a TLB miss, which on a virtual machine costs a nested page walk; 2 MiB pages take 1,000. Measured on
/// the 2-core AMD EPYC (Zen 5) VM, TinyLlama-1.1B shape in BF16, 2 threads (docs/engine.md, "Weights on huge pages").
/// The copy costs about a second per 2 GB at load.
/// </remarks>
public static unsafe class ResidentCopy
{
    private const nuint HugePage = 2 << 20;

    /// <summary>
    /// The weights with every in-place matrix copied (owning <paramref name="weights"/>), and a one-line note of what was
    /// copied; <paramref name="weights"/> itself and a null note when nothing is read in place.
    /// </summary>
    public static (LlamaWeights Weights, string? Note) Apply(LlamaWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var inPlace = weights.Matrices().Where(IsInPlace).ToList();
        if (inPlace.Count == 0)
        {
            return (weights, null);
        }

        var owner = new NativeBuffers(weights);
        var bytes = 0L;
        var grouped = UseFloatGroups;
        WeightMatrix Copy(WeightMatrix m, string _)
        {
            if (!IsInPlace(m))
            {
                return m;
            }

            var size = grouped ? FloatRowGroups.Bytes(m.DType, m.Rows, m.Cols) : m.ByteCount;
            var destination = owner.Allocate(size, HugePage);
            PageRelease.PreferHugePages(destination, size);
            WeightMatrix copy;
            if (grouped)
            {
                copy = FloatRowGroups.Pack(m, destination);
            }
            else
            {
                Buffer.MemoryCopy(m.Data, destination, size, m.ByteCount);
                copy = new WeightMatrix(destination, m.DType, m.Rows, m.Cols);
            }

            // The stored rows are never read again (a tied embedding reads the copy).
            PageRelease.Release(m.Data, m.ByteCount);
            bytes += size;
            return copy;
        }

        try
        {
            var copied = weights.WithMatrices(Copy, owner);
            var layout = grouped ? $", into 16-row groups for the {(Avx512F.IsSupported ? "AVX-512" : "AVX2")} outer-product kernels" : $", row-major ({FloatGroupsReason})";
            return (copied, FormattableString.Invariant($"{inPlace.Count} {string.Join("/", inPlace.Select(m => m.DType.Name()).Distinct())} matrices ({bytes / 1e9:0.00} GB) copied from the file mapping onto huge pages{layout}"));
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    /// <summary>Whether F32, BF16 and F16 matrices go into row groups here: AVX-512 or AVX2, unless <c>TANDEM_ROW_GROUPS=0</c>.</summary>
    private static bool UseFloatGroups => (Avx512F.IsSupported || FloatGroupTiles256.IsSupported) && Environment.GetEnvironmentVariable("TANDEM_ROW_GROUPS") != "0";

    private static string FloatGroupsReason => Avx512F.IsSupported || FloatGroupTiles256.IsSupported ? "TANDEM_ROW_GROUPS=0" : "no AVX-512 or AVX2";

    private static bool IsInPlace(WeightMatrix m) => !m.DType.IsQuantized() && !m.AmxTiles && !m.FloatGroups && m.ByteCount > 0;
}
