namespace Tandem.Engine.Execution;

/// <summary>A snapshot of the engine's load, taken on the engine thread.</summary>
public sealed record EngineStats(
    int RunningRequests,
    int WaitingRequests,
    int HeldRequests,
    int KvBlocksTotal,
    int KvBlocksFree,
    int TokensPerBlock,
    long Steps,
    long PromptTokensComputed,
    long GeneratedTokens,
    long Preemptions)
{
    public int KvBlocksUsed => KvBlocksTotal - KvBlocksFree;
}
