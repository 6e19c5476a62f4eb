namespace Tandem.Engine.Sampling;

/// <summary>
/// A logit floor that a top-k or top-p cut can never reach below, found from one histogram pass
/// (bins of 1/4 nat under the max), so that only the tokens above it get encoded, selected and
/// sorted. The floor is conservative: tokens above it form a prefix of the sampling order with
/// at least k tokens, or at least the nucleus mass (each bin counted at its lowest weight).
/// </summary>
internal static class CandidateFloor
{
    private const int Bins = 64;
    private const float BinsPerNat = 4f;

    /// <summary>
    /// With <paramref name="topK"/> above 0 the floor keeps at least k tokens; otherwise it keeps
    /// at least <paramref name="nucleusMass"/> (p × Σ exp(logit − max)). −∞ when no bin suffices.
    /// </summary>
    public static float Of(ReadOnlySpan<float> logits, float max, int topK, double nucleusMass)
    {
        Span<int> counts = stackalloc int[Bins];
        counts.Clear();
        foreach (var logit in logits)
        {
            var bin = (int)((max - logit) * BinsPerNat);
            counts[(int)Math.Min((uint)bin, Bins - 1)]++;
        }

        // The last bin holds everything further down, so it never sets a floor.
        long count = 0;
        var mass = 0.0;
        for (var b = 0; b < Bins - 1; b++)
        {
            // One bin of margin over the bin edge absorbs rounding in the bin index.
            var edge = (b + 2) / BinsPerNat;
            count += counts[b];
            mass += counts[b] * Math.Exp(-edge);
            if (topK > 0 ? count >= topK : mass >= nucleusMass)
            {
                return max - edge;
            }
        }

        return float.NegativeInfinity;
    }
}
