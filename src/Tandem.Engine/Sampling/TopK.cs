namespace Tandem.Engine.Sampling;

/// <summary>Keeps the k highest logits (lowest ids on ties) by partial selection; no sort.</summary>
internal static class TopK
{
    /// <returns>The new candidate count; the kept candidates are keys[..count], unordered.</returns>
    public static int Apply(Span<ulong> keys, int k)
    {
        if (k <= 0 || k >= keys.Length)
        {
            return keys.Length;
        }

        QuickSelect.SmallestFirst(keys, k);
        return k;
    }
}
