using Tandem.Engine.KvCache;
using Tandem.Engine.Scheduling;

namespace Tandem.Engine.Execution;

/// <summary>Messages from other threads to the engine thread (DESIGN.md rule 1).</summary>
internal abstract record EngineCommand
{
    public sealed record Submit(Sequence Sequence) : EngineCommand;

    public sealed record Cancel(string RequestId) : EngineCommand;

    public sealed record Export(string RequestId, TaskCompletionSource<KvSnapshot?> Result) : EngineCommand;

    public sealed record Release(string RequestId, TaskCompletionSource<bool> Result) : EngineCommand;

    public sealed record Inspect(TaskCompletionSource<EngineStats> Result) : EngineCommand;
}
