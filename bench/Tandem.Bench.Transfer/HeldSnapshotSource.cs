using Tandem.Engine.KvCache;
using Tandem.Transfer;

/// <summary>Answers every export with one prepared snapshot, so the timing is the transfer's alone.</summary>
internal sealed class HeldSnapshotSource(KvSnapshot snapshot) : IKvSource
{
    public KvCacheLayout Layout => snapshot.Layout;

    public Task<KvSnapshot?> ExportAsync(string requestId) => Task.FromResult<KvSnapshot?>(snapshot);

    public Task<bool> ReleaseAsync(string requestId) => Task.FromResult(true);
}
