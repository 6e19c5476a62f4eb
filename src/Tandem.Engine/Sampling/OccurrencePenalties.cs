namespace Tandem.Engine.Sampling;

/// <summary>
/// OpenAI presence and frequency penalties over generated tokens only:
/// logit −= frequency × count + presence × (count > 0).
/// </summary>
internal static class OccurrencePenalties
{
    public static void Apply(Span<float> logits, TokenHistory history, float presence, float frequency)
    {
        foreach (var token in history.Seen)
        {
            var count = history.GeneratedCount(token);
            if (count > 0)
            {
                logits[token] -= (frequency * count) + presence;
            }
        }
    }
}
