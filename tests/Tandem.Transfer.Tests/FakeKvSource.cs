using System.Collections.Concurrent;
using Tandem.Engine.KvCache;

namespace Tandem.Transfer.Tests;

/// <summary>An engine stand-in: holds snapshots by request id, counts releases, and lets a test await one.</summary>
internal sealed class FakeKvSource(KvCacheLayout layout) : IKvSource
{
    private readonly ConcurrentDictionary<string, KvSnapshot> _held = new();
    private readonly ConcurrentDictionary<string, int> _releases = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _released = new();

    public KvCacheLayout Layout { get; } = layout;

    public static KvSnapshot RandomSnapshot(KvCacheLayout layout, int tokens, int seed)
    {
        var data = new byte[layout.BlocksFor(tokens) * layout.BlockBytes];
        new Random(seed).NextBytes(data);
        return new KvSnapshot(layout, tokens, data);
    }

    public KvSnapshot Hold(string requestId, int tokens, int seed = 1)
    {
        var snapshot = RandomSnapshot(Layout, tokens, seed);
        _held[requestId] = snapshot;
        return snapshot;
    }

    public int Releases(string requestId) => _releases.GetValueOrDefault(requestId);

    public Task Released(string requestId) => Signal(requestId).Task;

    public Task<KvSnapshot?> ExportAsync(string requestId) =>
        Task.FromResult(_held.TryGetValue(requestId, out var snapshot) ? snapshot : null);

    public Task<bool> ReleaseAsync(string requestId)
    {
        _releases.AddOrUpdate(requestId, 1, (_, n) => n + 1);
        var held = _held.TryRemove(requestId, out _);
        Signal(requestId).TrySetResult();
        return Task.FromResult(held);
    }

    private TaskCompletionSource Signal(string requestId) =>
        _released.GetOrAdd(requestId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
