namespace Tandem.Engine.KvCache;

/// <summary>
/// Hands out KV blocks by id and counts references to them.
///
/// Invariants (checked by <see cref="CheckInvariants"/> in tests):
/// <list type="bullet">
/// <item>every block id in [0, Total) is either on the free stack with reference count 0, or (with block reuse)
/// unreferenced in the <see cref="Index"/> and on the evictable list, or referenced (count ≥ 1);</item>
/// <item><see cref="FreeCount"/> (free stack + evictable) + (blocks with count ≥ 1) = <see cref="Total"/>;</item>
/// <item>when the engine is idle (no running, waiting or held request) <see cref="FreeCount"/> = <see cref="Total"/>.</item>
/// </list>
/// Only the engine thread touches a pool; it takes no locks.
/// </summary>
public sealed class BlockPool
{
    private readonly int[] _refCounts;
    private readonly Stack<int> _free;
    private readonly LinkedList<int> _evictable = new();
    private readonly LinkedListNode<int>?[] _evictableNodes;

    public BlockPool(int total)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        Total = total;
        _refCounts = new int[total];
        _free = new Stack<int>(total);
        _evictableNodes = new LinkedListNode<int>?[total];
        for (var id = total - 1; id >= 0; id--)
        {
            _free.Push(id);
        }
    }

    public int Total { get; }

    /// <summary>Blocks a request can take: free ones, and (with block reuse) cached ones nobody references.</summary>
    public int FreeCount => _free.Count + _evictable.Count;

    public int UsedCount => Total - FreeCount;

    /// <summary>Cached blocks nobody references: they hold a prefix's KV until the pool needs them.</summary>
    public int EvictableCount => _evictable.Count;

    /// <summary>The block-reuse index; null when reuse is off (released blocks go straight back to the free stack).</summary>
    public PrefixIndex? Index { get; private set; }

    /// <summary>Turns block reuse on (before the first allocation); <paramref name="events"/> logs what the index stores and forgets.</summary>
    public void EnableReuse(int tokensPerBlock, KvCacheEventLog? events = null)
    {
        if (UsedCount != 0)
        {
            throw new InvalidOperationException("block reuse must be turned on before any block is taken");
        }

        Index = new PrefixIndex(Total, tokensPerBlock, events);
    }

    /// <summary>Takes <paramref name="count"/> blocks, each with one reference, or none when too few are free.</summary>
    public bool TryAllocate(int count, List<int> into)
    {
        if (count > FreeCount)
        {
            return false;
        }

        for (var i = 0; i < count; i++)
        {
            var id = _free.Count > 0 ? _free.Pop() : Evict();
            _refCounts[id] = 1;
            into.Add(id);
        }

        return true;
    }

    /// <summary>Takes a cached block for a request that holds the same prefix: one more reference, off the evictable list.</summary>
    public void Reuse(int id)
    {
        if (_evictableNodes[id] is { } node)
        {
            _evictable.Remove(node);
            _evictableNodes[id] = null;
        }
        else if (_refCounts[id] <= 0)
        {
            throw new InvalidOperationException($"KV block {id} is free and holds no cached prefix");
        }

        _refCounts[id]++;
    }

    public void AddReference(int id)
    {
        if (_refCounts[id] <= 0)
        {
            throw new InvalidOperationException($"KV block {id} is free and cannot gain a reference");
        }

        _refCounts[id]++;
    }

    /// <summary>Drops one reference; the block returns to the free stack when none remain.</summary>
    public void Release(int id)
    {
        if (_refCounts[id] <= 0)
        {
            throw new InvalidOperationException($"KV block {id} released while already free");
        }

        if (--_refCounts[id] == 0)
        {
            if (Index?.Holds(id) == true)
            {
                _evictableNodes[id] = _evictable.AddLast(id);
            }
            else
            {
                _free.Push(id);
            }
        }
    }

    /// <summary>Releases a request's blocks; with block reuse the last first, so that a prefix's first blocks are the last evicted.</summary>
    public void ReleaseAll(List<int> ids)
    {
        if (Index is null)
        {
            foreach (var id in ids)
            {
                Release(id);
            }
        }
        else
        {
            for (var i = ids.Count - 1; i >= 0; i--)
            {
                Release(ids[i]);
            }
        }

        ids.Clear();
    }

    /// <summary>The least recently released cached block, forgotten by the index, for new KV.</summary>
    private int Evict()
    {
        var id = _evictable.First!.Value;
        _evictable.RemoveFirst();
        _evictableNodes[id] = null;
        Index!.Forget(id);
        return id;
    }

    public int ReferenceCount(int id) => _refCounts[id];

    public void CheckInvariants()
    {
        var onStack = new bool[Total];
        foreach (var id in _free)
        {
            if (onStack[id] || _refCounts[id] != 0)
            {
                throw new InvalidOperationException($"KV block {id} is on the free stack twice or with references");
            }

            onStack[id] = true;
        }

        foreach (var id in _evictable)
        {
            if (onStack[id] || _refCounts[id] != 0 || Index?.Holds(id) != true)
            {
                throw new InvalidOperationException($"KV block {id} is evictable but free, referenced or not cached");
            }

            onStack[id] = true;
        }

        for (var id = 0; id < Total; id++)
        {
            if (!onStack[id] && _refCounts[id] <= 0)
            {
                throw new InvalidOperationException($"KV block {id} is neither free nor referenced (leaked)");
            }
        }
    }
}
