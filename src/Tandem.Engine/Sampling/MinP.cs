namespace Tandem.Engine.Sampling;

/// <summary>
/// Keeps the candidates whose probability is at least min_p times the top probability:
/// p / p_max = exp(logit − max) ≥ min_p, tested as logit ≥ max + ln(min_p) to spare an exp per
/// candidate. Compacts in place and keeps the candidates' order.
/// </summary>
internal static class MinP
{
    public static float Floor(float minP, float max) => max + MathF.Log(minP);

    /// <returns>The new candidate count.</returns>
    public static int Apply(Span<ulong> keys, float floor)
    {
        var kept = 0;
        for (var i = 0; i < keys.Length; i++)
        {
            if (CandidateKey.Logit(keys[i]) >= floor)
            {
                keys[kept++] = keys[i];
            }
        }

        return kept;
    }
}
