namespace Tandem.Engine.Sampling;

/// <summary>
/// Keeps the candidates whose probability is at least min_p times the top probability:
/// p / p_max = exp(logit − max) ≥ min_p, tested as logit − max ≥ ln(min_p) to spare an exp per
/// candidate. Compacts in place and keeps the candidates' order.
/// </summary>
internal static class MinP
{
    /// <returns>The new candidate count.</returns>
    public static int Apply(Span<ulong> keys, float minP, float max)
    {
        var floor = MathF.Log(minP);
        var kept = 0;
        for (var i = 0; i < keys.Length; i++)
        {
            if (CandidateKey.Logit(keys[i]) - max >= floor)
            {
                keys[kept++] = keys[i];
            }
        }

        return kept;
    }

    /// <summary>Encodes only the tokens that pass (the same test as <see cref="Apply"/>) into keys.</summary>
    /// <returns>The candidate count.</returns>
    public static int EncodeSurvivors(ReadOnlySpan<float> logits, float minP, float max, Span<ulong> keys)
    {
        var floor = MathF.Log(minP);
        var kept = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            if (logits[i] - max >= floor)
            {
                keys[kept++] = CandidateKey.Encode(logits[i], i);
            }
        }

        return kept;
    }
}
