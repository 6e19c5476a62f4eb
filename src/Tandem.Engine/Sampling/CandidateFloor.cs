using System.Numerics.Tensors;

namespace Tandem.Engine.Sampling;

/// <summary>
/// A logit floor that a top-k or top-p cut can never reach below, found from one histogram pass
/// (bins of 1/4 nat under the max), so that only the tokens above it get encoded, selected and
/// sorted. The tokens above the floor form a prefix of the sampling order holding at least k
/// tokens, or at least the nucleus mass; one bin of margin absorbs rounding in the bin index.
/// </summary>
internal static class CandidateFloor
{
    private const int Bins = 64;
    private const float BinsPerNat = 4f;
    private const int Chunk = 512;

    public static float ForTopK(ReadOnlySpan<float> logits, float max, int topK)
    {
        Span<int> counts = stackalloc int[Bins];
        counts.Clear();
        foreach (var logit in logits)
        {
            counts[BinOf(max - logit)]++;
        }

        long count = 0;
        for (var b = 0; b < Bins - 1; b++)
        {
            count += counts[b];
            if (count >= topK)
            {
                return max - EdgeBelow(b);
            }
        }

        return float.NegativeInfinity;
    }

    /// <summary><paramref name="nucleusMass"/> is p × Σ exp(logit − max).</summary>
    public static float ForTopP(ReadOnlySpan<float> logits, float max, double nucleusMass)
    {
        Span<double> masses = stackalloc double[Bins];
        masses.Clear();
        Span<float> weights = stackalloc float[Chunk];
        Span<int> bins = stackalloc int[Chunk];
        for (var start = 0; start < logits.Length; start += Chunk)
        {
            var part = logits.Slice(start, Math.Min(Chunk, logits.Length - start));
            var w = weights[..part.Length];
            TensorPrimitives.Subtract(part, max, w);
            for (var i = 0; i < w.Length; i++)
            {
                bins[i] = BinOf(-w[i]);
            }

            TensorPrimitives.Exp(w, w);
            for (var i = 0; i < w.Length; i++)
            {
                masses[bins[i]] += w[i];
            }
        }

        var mass = 0.0;
        for (var b = 0; b < Bins - 1; b++)
        {
            mass += masses[b];
            if (mass >= nucleusMass)
            {
                return max - EdgeBelow(b);
            }
        }

        return float.NegativeInfinity;
    }

    // The last bin holds everything further down, so it never sets a floor.
    private static int BinOf(float belowMax) => (int)Math.Min((uint)(int)(belowMax * BinsPerNat), Bins - 1);

    private static float EdgeBelow(int bin) => (bin + 2) / BinsPerNat;
}
