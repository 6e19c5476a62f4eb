namespace Tandem.Engine.Sampling;

/// <summary>
/// Nucleus filtering: keeps the smallest prefix of the candidates, in sampling order, whose
/// probability (renormalized over the current candidates) reaches p; always at least one.
/// Sorts only a growing prefix (64, 512, 4096, ...) found by partial selection, so a peaked
/// distribution never pays for sorting the vocabulary.
/// </summary>
internal static class TopP
{
    private const int FirstPrefix = 64;
    private const int Growth = 8;

    /// <summary><paramref name="total"/> is Σ exp(logit − max) over the current candidates.</summary>
    /// <returns>The new candidate count; the kept candidates are keys[..count], sorted.</returns>
    public static int Apply(Span<ulong> keys, float p, float max, double total)
    {
        var n = keys.Length;
        var threshold = p * total;
        var prefix = Math.Min(n, FirstPrefix);
        while (true)
        {
            QuickSelect.SmallestFirst(keys, prefix);
            keys[..prefix].Sort();
            var cumulative = 0.0;
            for (var i = 0; i < prefix; i++)
            {
                cumulative += MathF.Exp(CandidateKey.Logit(keys[i]) - max);
                if (cumulative >= threshold)
                {
                    return i + 1;
                }
            }

            if (prefix == n)
            {
                return n;
            }

            prefix = (int)Math.Min(n, (long)prefix * Growth);
        }
    }
}
