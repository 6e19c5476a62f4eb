namespace Tandem.Engine.Sampling;

/// <summary>
/// HF / vLLM repetition penalty over every token of prompt and output: a positive logit is
/// divided by the penalty, a negative one multiplied, so a penalty above 1 always discourages.
/// </summary>
internal static class RepetitionPenalty
{
    public static void Apply(Span<float> logits, TokenHistory history, float penalty)
    {
        foreach (var token in history.Seen)
        {
            var logit = logits[token];
            logits[token] = logit > 0f ? logit / penalty : logit * penalty;
        }
    }
}
