using Tandem.Engine.KvCache;

namespace Tandem.Transfer;

/// <summary>
/// Where a context server's held KV blocks come from (the server adapts its engine to this). Both calls are
/// safe from any thread; the engine answers them between steps.
/// </summary>
public interface IKvSource
{
    /// <summary>The layout of every snapshot this source exports.</summary>
    KvCacheLayout Layout { get; }

    /// <summary>A copy of the blocks the request holds; null when it holds none (unknown, released or lease expired).</summary>
    Task<KvSnapshot?> ExportAsync(string requestId);

    /// <summary>Frees the blocks the request holds; false when it held none.</summary>
    Task<bool> ReleaseAsync(string requestId);
}
