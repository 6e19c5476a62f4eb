namespace Tandem.Engine.KvCache;

/// <summary>
/// Hands out KV blocks by id and counts references to them.
///
/// Invariants (checked by <see cref="CheckInvariants"/> in tests):
/// <list type="bullet">
/// <item>every block id in [0, Total) is either on the free stack with reference count 0, or off it with count ≥ 1;</item>
/// <item><see cref="FreeCount"/> + (blocks with count ≥ 1) = <see cref="Total"/>;</item>
/// <item>when the engine is idle (no running, waiting or held request) <see cref="FreeCount"/> = <see cref="Total"/>.</item>
/// </list>
/// Only the engine thread touches a pool; it takes no locks.
/// </summary>
public sealed class BlockPool
{
    private readonly int[] _refCounts;
    private readonly Stack<int> _free;

    public BlockPool(int total)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        Total = total;
        _refCounts = new int[total];
        _free = new Stack<int>(total);
        for (var id = total - 1; id >= 0; id--)
        {
            _free.Push(id);
        }
    }

    public int Total { get; }

    public int FreeCount => _free.Count;

    public int UsedCount => Total - _free.Count;

    /// <summary>Takes <paramref name="count"/> blocks, each with one reference, or none when too few are free.</summary>
    public bool TryAllocate(int count, List<int> into)
    {
        if (count > _free.Count)
        {
            return false;
        }

        for (var i = 0; i < count; i++)
        {
            var id = _free.Pop();
            _refCounts[id] = 1;
            into.Add(id);
        }

        return true;
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
            _free.Push(id);
        }
    }

    public void ReleaseAll(List<int> ids)
    {
        foreach (var id in ids)
        {
            Release(id);
        }

        ids.Clear();
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

        for (var id = 0; id < Total; id++)
        {
            if (!onStack[id] && _refCounts[id] <= 0)
            {
                throw new InvalidOperationException($"KV block {id} is neither free nor referenced (leaked)");
            }
        }
    }
}
