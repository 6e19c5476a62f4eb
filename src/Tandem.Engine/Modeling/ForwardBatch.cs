namespace Tandem.Engine.Modeling;

/// <summary>
/// The input of one forward step: <see cref="TokenCount"/> new tokens from one or more sequences.
/// Token i belongs to sequence <c>SequenceOf[i]</c> and sits at <c>Positions[i]</c>; every token
/// of a sequence before it is already in the KV cache or earlier in this batch. Logits are computed
/// only for the tokens listed in <see cref="LogitTokens"/>, in that order.
/// Buffers are reused across steps; only the first <see cref="TokenCount"/> entries are meaningful.
/// </summary>
public sealed class ForwardBatch
{
    public ForwardBatch(int maxTokens, int maxSequences)
    {
        Tokens = new int[maxTokens];
        Positions = new int[maxTokens];
        SequenceOf = new int[maxTokens];
        LogitTokens = new int[maxSequences];
        BlockTables = new IReadOnlyList<int>[maxSequences];
    }

    public int[] Tokens { get; }

    public int[] Positions { get; }

    public int[] SequenceOf { get; }

    public IReadOnlyList<int>[] BlockTables { get; }

    public int[] LogitTokens { get; }

    public int TokenCount { get; private set; }

    public int SequenceCount { get; private set; }

    public int LogitCount { get; private set; }

    public void Clear()
    {
        TokenCount = 0;
        SequenceCount = 0;
        LogitCount = 0;
        Array.Clear(BlockTables);
    }

    /// <summary>Adds tokens[start..start+count) of a sequence whose first new position is <paramref name="firstPosition"/>.</summary>
    public void AddSequence(IReadOnlyList<int> blockTable, ReadOnlySpan<int> tokens, int firstPosition, bool wantLogits)
    {
        var sequence = SequenceCount++;
        BlockTables[sequence] = blockTable;
        for (var i = 0; i < tokens.Length; i++)
        {
            Tokens[TokenCount] = tokens[i];
            Positions[TokenCount] = firstPosition + i;
            SequenceOf[TokenCount] = sequence;
            TokenCount++;
        }

        if (wantLogits)
        {
            LogitTokens[LogitCount++] = TokenCount - 1;
        }
    }
}
