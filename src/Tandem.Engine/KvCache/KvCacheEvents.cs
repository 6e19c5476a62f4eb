namespace Tandem.Engine.KvCache;

/// <summary>What happened to cached KV blocks (TensorRT-LLM's KV-cache events, <c>kv_cache_config.event_buffer_max_size</c>).</summary>
public enum KvCacheEventKind
{
    /// <summary>The pool was made: <see cref="KvCacheEvent.BlockCount"/> blocks.</summary>
    Created,

    /// <summary>Full blocks became findable for reuse: <see cref="KvCacheEvent.Blocks"/>, chained after <see cref="KvCacheEvent.ParentHash"/>.</summary>
    Stored,

    /// <summary>Cached blocks were taken back for new KV: <see cref="KvCacheEvent.RemovedHashes"/>.</summary>
    Removed,
}

/// <summary>One block a <see cref="KvCacheEventKind.Stored"/> event makes findable: its chained hash (<see cref="BlockHasher"/>) and tokens.</summary>
public sealed record StoredBlock(ulong Hash, int[] Tokens);

/// <summary>One KV-cache event, numbered from 0 in the order the engine made them.</summary>
public sealed record KvCacheEvent(long Id, KvCacheEventKind Kind)
{
    public int BlockCount { get; init; }

    /// <summary>Stored: the hash of the block before the first stored one; null when the first starts the sequence.</summary>
    public ulong? ParentHash { get; init; }

    public IReadOnlyList<StoredBlock> Blocks { get; init; } = [];

    public IReadOnlyList<ulong> RemovedHashes { get; init; } = [];
}

/// <summary>
/// The engine's KV-cache events, kept until drained: at most <c>capacity</c>, the oldest dropped first (a consumer that
/// polls too rarely misses events, as with TensorRT-LLM's bounded buffer). Written by the engine thread, drained by any.
/// </summary>
public sealed class KvCacheEventLog(int capacity)
{
    private readonly Queue<KvCacheEvent> _events = new();
    private readonly Lock _lock = new();
    private long _nextId;

    /// <summary>Events dropped because the buffer was full.</summary>
    public long Dropped { get; private set; }

    public int Capacity => capacity;

    public void Created(int blocks) => Add(id => new KvCacheEvent(id, KvCacheEventKind.Created) { BlockCount = blocks });

    public void Stored(ulong? parent, IReadOnlyList<StoredBlock> blocks) =>
        Add(id => new KvCacheEvent(id, KvCacheEventKind.Stored) { ParentHash = parent, Blocks = blocks });

    public void Removed(ulong hash) => Add(id => new KvCacheEvent(id, KvCacheEventKind.Removed) { RemovedHashes = [hash] });

    /// <summary>Every event kept so far, oldest first; they are gone from the log afterwards.</summary>
    public IReadOnlyList<KvCacheEvent> Drain()
    {
        lock (_lock)
        {
            var events = _events.ToArray();
            _events.Clear();
            return events;
        }
    }

    private void Add(Func<long, KvCacheEvent> make)
    {
        lock (_lock)
        {
            _events.Enqueue(make(_nextId++));
            while (_events.Count > capacity)
            {
                _events.Dequeue();
                Dropped++;
            }
        }
    }
}
