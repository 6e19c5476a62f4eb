namespace Tandem.Engine.KvCache;

/// <summary>
/// The KV blocks of finished context-only requests, held for a transfer under a lease.
/// A held request's blocks are read-only: they are copied out by <see cref="Export"/> and return to
/// the pool on <see cref="Release"/> or when the lease ends (<see cref="Expire"/>). Engine thread only.
/// </summary>
internal sealed class HeldKvStore(PagedKvCache cache)
{
    private readonly Dictionary<string, Entry> _held = [];

    public int Count => _held.Count;

    public bool Contains(string requestId) => _held.ContainsKey(requestId);

    /// <summary>Takes over <paramref name="blocks"/> (the list is emptied) for <paramref name="tokenCount"/> tokens until <paramref name="deadline"/>.</summary>
    public void Hold(string requestId, List<int> blocks, int tokenCount, DateTimeOffset deadline)
    {
        _held[requestId] = new Entry([.. blocks], tokenCount, deadline);
        blocks.Clear();
    }

    /// <summary>A copy of the request's blocks in table order; null when it holds none.</summary>
    public KvSnapshot? Export(string requestId)
    {
        if (!_held.TryGetValue(requestId, out var held))
        {
            return null;
        }

        var layout = cache.Layout;
        var blockBytes = (int)layout.BlockBytes;
        // Every byte is written below (whole blocks), so the array is not zeroed first.
        var data = GC.AllocateUninitializedArray<byte>(checked(held.Blocks.Count * blockBytes));
        for (var b = 0; b < held.Blocks.Count; b++)
        {
            cache.BlockBytes(held.Blocks[b]).CopyTo(data.AsSpan(b * blockBytes, blockBytes));
        }

        return new KvSnapshot(layout, held.TokenCount, data);
    }

    public bool Release(string requestId)
    {
        if (!_held.Remove(requestId, out var held))
        {
            return false;
        }

        cache.Pool.ReleaseAll(held.Blocks);
        return true;
    }

    /// <summary>Frees every lease that ended by <paramref name="now"/>; returns the requests it freed.</summary>
    public List<string>? Expire(DateTimeOffset now)
    {
        List<string>? expired = null;
        foreach (var (id, held) in _held)
        {
            if (held.Deadline <= now)
            {
                (expired ??= []).Add(id);
            }
        }

        foreach (var id in expired ?? [])
        {
            Release(id);
        }

        return expired;
    }

    public DateTimeOffset? NextDeadline() => _held.Count == 0 ? null : _held.Values.Min(h => h.Deadline);

    public void ReleaseAll()
    {
        foreach (var id in _held.Keys.ToList())
        {
            Release(id);
        }
    }

    private sealed record Entry(List<int> Blocks, int TokenCount, DateTimeOffset Deadline);
}
