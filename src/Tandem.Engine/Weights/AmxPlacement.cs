using Tandem.Engine.Kernels;
using Tandem.Engine.Kernels.Amx;
using Tandem.Engine.Kernels.Vnni512;

namespace Tandem.Engine.Weights;

/// <summary>
/// Puts a loaded model's BF16 matrices on AMX tiles where this machine has them
/// (<see cref="AmxSupport"/>; <c>TANDEM_AMX=0</c> turns it off), and says where its Q8_0/Q4_0
/// matrices run (AMX-INT8 from 8 tokens a step, reading them in place). BF16: every matrix whose shape fits
/// (<see cref="WeightMatrix.FitsAmxTiles"/>); the others, and all other dtypes, keep the AVX-512 kernels.
/// Those matrices are copied into the tile layout (<see cref="AmxTileRows"/>) and the pages of
/// their stored rows given back (<see cref="PageRelease"/>), so the model stays resident once.
/// </summary>
public static unsafe class AmxPlacement
{
    /// <summary>
    /// The weights with the fitting BF16 matrices marked (owning <paramref name="weights"/>), and a
    /// one-line note of what runs where (BF16 matrices, and Q8_0/Q4_0 ones, which need no copy:
    /// the AMX-INT8 kernel reads their row groups in place); <paramref name="weights"/> itself and
    /// a null note when the model has neither.
    /// </summary>
    public static (LlamaWeights Weights, string? Note) Apply(LlamaWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var (placed, note) = PlaceBf16(weights);
        var blockTypes = weights.Matrices().Count(m => m.DType.IsQuantized());
        if (blockTypes > 0)
        {
            var vnni = QuantizedMatVec.IsAvailable
                ? "512-bit AVX-512 VNNI (AVX-VNNI for a padded last row group)"
                : $"{QuantizedTiles.UnitName} ({QuantizedMatVec.Reason})";
            var int8 = AmxSupport.IsInt8Available
                ? $"{AmxSupport.Int8Reason}, {vnni} below"
                : $"Q8_0/Q4_0 matrices on {vnni}, not AMX ({AmxSupport.Int8Reason})";
            note = note is null ? int8 : $"{note}; {int8}";
        }

        return (placed, note);
    }

    private static (LlamaWeights Weights, string? Note) PlaceBf16(LlamaWeights weights)
    {
        var bf16 = weights.Matrices().Count(m => m.DType == DType.BF16);
        if (bf16 == 0)
        {
            return (weights, null);
        }

        if (!AmxSupport.IsAvailable)
        {
            return (weights, $"BF16 matrices on {FloatVectorWidths.NativeName} ({AmxSupport.Reason})");
        }

        // The tiled copies' memory; it owns the original weights too (norms, the embedding, matrices that do not fit).
        var owner = new NativeBuffers(weights);
        var placed = 0;
        WeightMatrix Place(WeightMatrix m, string _)
        {
            if (!m.FitsAmxTiles)
            {
                return m;
            }

            placed++;
            var destination = owner.Allocate(m.ByteCount);
            PageRelease.PreferHugePages(destination, m.ByteCount);
            var tiled = AmxTileRows.Pack(m, destination);

            // The stored rows are never read again (a tied embedding reads the tiled copy).
            PageRelease.Release(m.Data, m.ByteCount);
            return tiled;
        }

        try
        {
            var placedWeights = weights.WithMatrices(Place, owner);
            var note = $"{AmxSupport.Reason}: {placed} of {bf16} BF16 matrices"
                + (placed < bf16 ? " (the others' rows or columns are not a multiple of 32: AVX-512)" : "");
            return (placedWeights, note);
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }
}
