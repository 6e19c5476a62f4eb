namespace Tandem.Engine.KvCache;

/// <summary>
/// Block reuse (<c>kv_cache_config.enable_block_reuse</c>): full KV blocks of finished, cancelled or preempted
/// requests stay in the pool, findable by the tokens they hold and everything before them, until the pool needs
/// them back (least recently released first). A request whose prompt starts with the same tokens takes them instead
/// of computing them.
/// <code>
///   key of block i = (entry of block i − 1, or 0 for the first; the block's tokens)
///   entries are numbered once and never reused, so a key whose parent was evicted can no longer be reached
/// </code>
/// A block's KV depends only on its tokens and the tokens before it (batch invariance: never on the batch it ran
/// in), so a reused block is bit for bit the block the request would have computed. Blocks are shared only when
/// full, and a request writes only past the positions it has computed, so a shared block is never written.
/// With an event log, each indexed block also gets its chained <see cref="BlockHasher"/> hash, and indexing and
/// forgetting blocks are logged as stored and removed events (what a KV-aware router learns a worker's cache from).
/// </summary>
public sealed class PrefixIndex
{
    private readonly Dictionary<BlockKey, int> _blocks = [];
    private readonly BlockKey?[] _keys;
    private readonly long[] _entries;
    private readonly ulong[] _hashes;
    private readonly int _tokensPerBlock;
    private readonly KvCacheEventLog? _events;
    private readonly List<StoredBlock> _run = [];
    private long _nextEntry = 1;

    public PrefixIndex(int totalBlocks, int tokensPerBlock, KvCacheEventLog? events = null)
    {
        _keys = new BlockKey?[totalBlocks];
        _entries = new long[totalBlocks];
        _hashes = new ulong[totalBlocks];
        _tokensPerBlock = tokensPerBlock;
        _events = events;
    }

    /// <summary>Blocks the index holds (referenced or not).</summary>
    public int Count => _blocks.Count;

    public bool Holds(int block) => _entries[block] != 0;

    /// <summary>
    /// Appends to <paramref name="into"/> (referenced in <paramref name="pool"/>) the cached blocks that hold
    /// <paramref name="tokens"/>' first full blocks, up to <paramref name="maxBlocks"/>; returns how many.
    /// </summary>
    public int Match(IReadOnlyList<int> tokens, int maxBlocks, BlockPool pool, List<int> into)
    {
        long parent = 0;
        var matched = 0;
        for (; matched < maxBlocks; matched++)
        {
            if (!_blocks.TryGetValue(Key(parent, tokens, matched), out var block))
            {
                break;
            }

            pool.Reuse(block);
            into.Add(block);
            parent = _entries[block];
        }

        return matched;
    }

    /// <summary>Indexes the first <paramref name="fullBlocks"/> blocks of a request (its KV for <paramref name="tokens"/>) that are not indexed yet.</summary>
    public void Register(IReadOnlyList<int> tokens, IReadOnlyList<int> blocks, int fullBlocks)
    {
        long parent = 0;
        ulong parentHash = 0;
        ulong? runParent = null;
        for (var i = 0; i < fullBlocks; i++)
        {
            var block = blocks[i];
            var stored = false;
            if (_entries[block] == 0)
            {
                var key = Key(parent, tokens, i);
                if (_blocks.TryGetValue(key, out var same))
                {
                    block = same; // the same tokens are already cached in another block: keep that one
                }
                else
                {
                    _blocks[key] = block;
                    _keys[block] = key;
                    _entries[block] = _nextEntry++;
                    _hashes[block] = BlockHasher.Hash(key.Tokens, parentHash);
                    stored = true;
                    if (_events is not null)
                    {
                        if (_run.Count == 0)
                        {
                            runParent = i == 0 ? null : parentHash;
                        }

                        _run.Add(new StoredBlock(_hashes[block], key.Tokens));
                    }
                }
            }

            if (!stored)
            {
                FlushRun(runParent);
            }

            parent = _entries[block];
            parentHash = _hashes[block];
        }

        FlushRun(runParent);
    }

    /// <summary>The chained hash of an indexed block (<see cref="BlockHasher"/>).</summary>
    public ulong HashOf(int block) => Holds(block) ? _hashes[block] : throw new ArgumentException($"KV block {block} is not indexed", nameof(block));

    /// <summary>The pool takes <paramref name="block"/> back for new KV: it is no longer findable.</summary>
    public void Forget(int block)
    {
        if (_keys[block] is { } key)
        {
            _blocks.Remove(key);
            _keys[block] = null;
            _entries[block] = 0;
            _events?.Removed(_hashes[block]);
        }
    }

    /// <summary>Logs the blocks indexed since the last flush as one stored event.</summary>
    private void FlushRun(ulong? parent)
    {
        if (_run.Count > 0)
        {
            _events!.Stored(parent, [.. _run]);
            _run.Clear();
        }
    }

    private BlockKey Key(long parent, IReadOnlyList<int> tokens, int block)
    {
        var slice = new int[_tokensPerBlock];
        for (var t = 0; t < slice.Length; t++)
        {
            slice[t] = tokens[(block * _tokensPerBlock) + t];
        }

        return new BlockKey(parent, slice);
    }

    private sealed class BlockKey(long parent, int[] tokens) : IEquatable<BlockKey>
    {
        private readonly int _hash = HashOf(parent, tokens);

        public bool Equals(BlockKey? other) =>
            other is not null && other._hash == _hash && other.Parent == Parent && other.Tokens.AsSpan().SequenceEqual(Tokens);

        public override bool Equals(object? obj) => Equals(obj as BlockKey);

        public override int GetHashCode() => _hash;

        public int[] Tokens { get; } = tokens;

        private long Parent { get; } = parent;

        private static int HashOf(long parent, int[] tokens)
        {
            var hash = new HashCode();
            hash.Add(parent);
            foreach (var token in tokens)
            {
                hash.Add(token);
            }

            return hash.ToHashCode();
        }
    }
}
