namespace Tandem.Engine.Scheduling;

/// <summary>
/// What one engine step runs: for each scheduled sequence, how many of its pending tokens to feed.
/// A sequence whose scheduled tokens reach the end of its known tokens samples in this step.
/// </summary>
internal sealed class StepPlan
{
    public List<(Sequence Sequence, int Tokens)> Entries { get; } = [];

    public int TokenCount { get; private set; }

    public bool IsEmpty => Entries.Count == 0;

    public void Clear()
    {
        Entries.Clear();
        TokenCount = 0;
    }

    public void Add(Sequence sequence, int tokens)
    {
        Entries.Add((sequence, tokens));
        TokenCount += tokens;
    }
}
