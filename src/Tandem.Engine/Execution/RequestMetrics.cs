namespace Tandem.Engine.Execution;

/// <summary>
/// When a request passed through the engine, as timestamps of the engine's <see cref="TimeProvider"/>
/// (0 where it never happened: a request cancelled before its first step has no first scheduled
/// time), and what it held: sent with its final event, for <c>GET /perf_metrics</c>.
/// </summary>
/// <param name="Arrival">Submitted to the engine.</param>
/// <param name="FirstScheduled">The start of the first step that fed it.</param>
/// <param name="FirstToken">The end of the step that sampled its first token here (a generation-only request's given first tokens do not count).</param>
/// <param name="LastToken">The end of the step that sampled its last token.</param>
/// <param name="FirstIteration">The engine step (counted from 0) that first fed it; -1 if none did.</param>
/// <param name="LastIteration">The last engine step that fed it; -1 if none did.</param>
/// <param name="AllocatedBlocks">KV blocks it held at the end.</param>
/// <param name="ReusedBlocks">Of them, blocks its first admission took from the block-reuse cache instead of computing them (0 without <c>enable_block_reuse</c>).</param>
public sealed record RequestMetrics(
    long Arrival,
    long FirstScheduled,
    long FirstToken,
    long LastToken,
    long FirstIteration,
    long LastIteration,
    int AllocatedBlocks,
    int ReusedBlocks);
