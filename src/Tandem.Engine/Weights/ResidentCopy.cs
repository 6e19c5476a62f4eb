namespace Tandem.Engine.Weights;

/// <summary>
/// Copies the matrices still read in place from a memory-mapped checkpoint (F32, F16 and BF16 ones that are not on AMX
/// tiles) into anonymous memory on transparent huge pages, and gives their file pages back (<see cref="PageRelease"/>),
/// so the model stays resident once.
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
        WeightMatrix Copy(WeightMatrix m, string _)
        {
            if (!IsInPlace(m))
            {
                return m;
            }

            var destination = owner.Allocate(m.ByteCount, HugePage);
            PageRelease.PreferHugePages(destination, m.ByteCount);
            Buffer.MemoryCopy(m.Data, destination, m.ByteCount, m.ByteCount);

            // The stored rows are never read again (a tied embedding reads the copy).
            PageRelease.Release(m.Data, m.ByteCount);
            bytes += m.ByteCount;
            return new WeightMatrix(destination, m.DType, m.Rows, m.Cols);
        }

        try
        {
            var copied = weights.WithMatrices(Copy, owner);
            return (copied, FormattableString.Invariant($"{inPlace.Count} {string.Join("/", inPlace.Select(m => m.DType.Name()).Distinct())} matrices ({bytes / 1e9:0.00} GB) copied from the file mapping onto huge pages"));
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    private static bool IsInPlace(WeightMatrix m) => !m.DType.IsQuantized() && !m.AmxTiles && m.ByteCount > 0;
}
