using System.Numerics.Tensors;

namespace Tandem.Engine.Sampling;

/// <summary>
/// Log-softmax of the raw model logits (before penalties and temperature, as vLLM's default
/// "raw_logprobs"): log p(i) = logit(i) − logsumexp(logits).
/// </summary>
internal static class RawLogprobs
{
    public static double LogSumExp(ReadOnlySpan<float> logits)
    {
        var max = TensorPrimitives.Max(logits);
        return max + Math.Log(ExpSum.Of(logits, max));
    }

    /// <summary>The <paramref name="count"/> most likely tokens, descending, ties by lower id.</summary>
    public static TokenLogprob[] Top(ReadOnlySpan<float> logits, int count, double logSumExp)
    {
        count = Math.Min(count, logits.Length);
        if (count == 0)
        {
            return [];
        }

        // A small sorted list of keys (ascending key = descending logit, then ascending id).
        // Ids arrive ascending, so an equal logit never displaces a kept one.
        Span<ulong> best = stackalloc ulong[SamplingParams.MaxLogprobs];
        best = best[..count];
        var filled = 0;
        var worst = float.NegativeInfinity;
        for (var i = 0; i < logits.Length; i++)
        {
            var logit = logits[i];
            if (filled == count && !(logit > worst))
            {
                continue;
            }

            var key = CandidateKey.Encode(logit, i);
            var at = filled == count ? count - 1 : filled++;
            while (at > 0 && best[at - 1] > key)
            {
                best[at] = best[at - 1];
                at--;
            }

            best[at] = key;
            if (filled == count)
            {
                worst = CandidateKey.Logit(best[count - 1]);
            }
        }

        var result = new TokenLogprob[count];
        for (var i = 0; i < count; i++)
        {
            var id = CandidateKey.TokenId(best[i]);
            result[i] = new TokenLogprob(id, (float)(logits[id] - logSumExp));
        }

        return result;
    }
}
