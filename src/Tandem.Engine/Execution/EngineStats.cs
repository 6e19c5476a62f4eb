namespace Tandem.Engine.Execution;

/// <summary>
/// A snapshot of the engine's load, taken on the engine thread. <see cref="StepAllocatedBytes"/> is what
/// the engine thread allocated inside its steps (batch building, forward pass, sampling, events) since
/// it started: in steady-state decoding it must not grow.
/// </summary>
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
    long Preemptions,
    long StepAllocatedBytes)
{
    public int KvBlocksUsed => KvBlocksTotal - KvBlocksFree;
}
