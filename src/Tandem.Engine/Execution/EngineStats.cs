namespace Tandem.Engine.Execution;

/// <summary>
/// A snapshot of the engine's load, taken on the engine thread. <see cref="StepAllocatedBytes"/> is what
/// the engine thread allocated inside its steps (scheduling, batch building, forward pass, sampling) since
/// it started: in steady-state decoding it must not grow. Handing a token to its stream is not counted:
/// a stream whose reader falls behind buffers the events, which is the reader's backlog. Steps during
/// which the runtime paused for a garbage collection are left out (<see cref="AllocationCountedSteps"/>
/// counts the others): the pause that ends a background collection's marking voids the thread's
/// allocation context and adds its unused rest (up to ~8 KB) to the thread's count.
/// <see cref="KvBlocksFree"/> includes <see cref="KvBlocksCached"/>: blocks of ended requests kept for block
/// reuse, taken back when a request needs them.
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
    long StepAllocatedBytes,
    long AllocationCountedSteps,
    int KvBlocksCached = 0)
{
    public int KvBlocksUsed => KvBlocksTotal - KvBlocksFree;
}
