namespace Tandem.Engine.Sampling;

/// <summary>
/// The tokens a request has seen, for the penalties: every distinct token of prompt and output
/// (repetition penalty) and how often each was generated (presence and frequency penalties).
/// Penalties then cost O(distinct tokens), not O(vocabulary).
/// </summary>
internal sealed class TokenHistory
{
    // 0: never seen; otherwise 1 + the number of times it was generated.
    private readonly int[] _state;
    private int[] _seen;
    private int _seenCount;

    public TokenHistory(int vocabSize, ReadOnlySpan<int> promptTokens)
    {
        _state = new int[vocabSize];
        _seen = new int[Math.Min(vocabSize, Math.Max(64, 2 * promptTokens.Length))];
        foreach (var token in promptTokens)
        {
            MarkSeen(token);
        }
    }

    /// <summary>Distinct tokens of prompt and output, in first-seen order.</summary>
    public ReadOnlySpan<int> Seen => _seen.AsSpan(0, _seenCount);

    public int GeneratedCount(int tokenId) => Math.Max(0, _state[tokenId] - 1);

    public void RecordGenerated(int tokenId)
    {
        MarkSeen(tokenId);
        _state[tokenId]++;
    }

    private void MarkSeen(int tokenId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(tokenId, _state.Length);
        if (_state[tokenId] != 0)
        {
            return;
        }

        _state[tokenId] = 1;
        if (_seenCount == _seen.Length)
        {
            // Distinct tokens never exceed the vocabulary, so this grows a bounded number of times.
            Array.Resize(ref _seen, Math.Min(_state.Length, 2 * _seen.Length));
        }

        _seen[_seenCount++] = tokenId;
    }
}
