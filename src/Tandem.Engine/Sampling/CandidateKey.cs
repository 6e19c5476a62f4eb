namespace Tandem.Engine.Sampling;

/// <summary>
/// Packs a candidate (logit, token id) into one ulong whose ascending order is the sampling
/// order: logit descending, then token id ascending. Every key is unique, so selection and
/// sorting are plain integer work and ties always resolve to the lowest id.
/// <code>
///   bit 63 ............ 32 | 31 ........ 0
///   ~orderable(logit)      | token id
/// </code>
/// </summary>
internal static class CandidateKey
{
    public static ulong Encode(float logit, int tokenId)
    {
        // + 0f turns -0 into +0, so the two zeros tie (and fall back to the id) as they compare.
        var bits = BitConverter.SingleToUInt32Bits(logit + 0f);
        var ascending = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)~ascending << 32) | (uint)tokenId;
    }

    public static float Logit(ulong key)
    {
        var ascending = ~(uint)(key >> 32);
        var bits = (ascending & 0x8000_0000u) != 0 ? ascending & 0x7FFF_FFFFu : ~ascending;
        return BitConverter.UInt32BitsToSingle(bits);
    }

    public static int TokenId(ulong key) => (int)(uint)key;

    public static void EncodeAll(ReadOnlySpan<float> logits, Span<ulong> keys)
    {
        for (var i = 0; i < logits.Length; i++)
        {
            keys[i] = Encode(logits[i], i);
        }
    }

    /// <summary>Encodes the tokens whose logit is at least <paramref name="floor"/>; returns how many.</summary>
    public static int EncodeAtLeast(ReadOnlySpan<float> logits, float floor, Span<ulong> keys)
    {
        var count = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            if (logits[i] >= floor)
            {
                keys[count++] = Encode(logits[i], i);
            }
        }

        return count;
    }
}
