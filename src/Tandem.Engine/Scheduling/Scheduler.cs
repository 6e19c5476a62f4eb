using Tandem.Engine.KvCache;

namespace Tandem.Engine.Scheduling;

/// <summary>
/// Decides each step which sequences run and how many tokens each feeds (DESIGN.md rule 2: no
/// prefill or decode phase — every sequence simply catches up with its known tokens).
///
/// Policy, in order, within <c>maxNumTokens</c> new tokens and <c>maxBatchSize</c> sequences:
/// <list type="number">
/// <item>Running sequences, oldest first, get min(pending, budget left) tokens. When the pool cannot
/// hold them, the youngest running sequence is preempted: its blocks are freed and it goes back to
/// the front of the waiting queue to recompute later (batch invariance makes the result identical).</item>
/// <item>Waiting sequences join in arrival order while there is room; the first one that does not fit
/// stops admission, so no request overtakes an older one.</item>
/// </list>
/// Owned by the engine thread; no locks.
/// </summary>
internal sealed class Scheduler
{
    private readonly PagedKvCache _cache;
    private readonly int _maxBatchSize;
    private readonly int _maxNumTokens;
    private readonly LinkedList<Sequence> _waiting = new();
    private readonly List<Sequence> _running = [];

    public Scheduler(PagedKvCache cache, int maxBatchSize, int maxNumTokens)
    {
        _cache = cache;
        _maxBatchSize = maxBatchSize;
        _maxNumTokens = maxNumTokens;
    }

    public int RunningCount => _running.Count;

    public int WaitingCount => _waiting.Count;

    public bool HasWork => _running.Count > 0 || _waiting.Count > 0;

    public IReadOnlyList<Sequence> Running => _running;

    public long Preemptions { get; private set; }

    public void Enqueue(Sequence sequence) => _waiting.AddLast(sequence);

    public void Schedule(StepPlan plan)
    {
        plan.Clear();
        var budget = _maxNumTokens;
        var pool = _cache.Pool;

        for (var i = 0; i < _running.Count && budget > 0; i++)
        {
            var sequence = _running[i];
            var tokens = Math.Min(sequence.Pending, budget);
            var needed = BlocksNeeded(sequence, tokens);
            while (needed > pool.FreeCount && _running.Count - 1 > i)
            {
                Preempt(_running[^1]);
            }

            if (needed > pool.FreeCount)
            {
                // Even alone it cannot grow: it waits (it was validated to fit an empty pool).
                Preempt(sequence);
                break;
            }

            pool.TryAllocate(needed, sequence.Blocks);
            plan.Add(sequence, tokens);
            budget -= tokens;
        }

        while (_waiting.First is { } node && budget > 0 && _running.Count < _maxBatchSize)
        {
            var sequence = node.Value;
            if (!TryAdmit(sequence, budget, out var tokens))
            {
                break;
            }

            _waiting.RemoveFirst();
            _running.Add(sequence);
            plan.Add(sequence, tokens);
            budget -= tokens;
        }
    }

    /// <summary>Removes a sequence from the running list or the queue and frees its blocks. False when unknown.</summary>
    public bool Remove(string id, out Sequence? removed)
    {
        for (var i = 0; i < _running.Count; i++)
        {
            if (_running[i].Id == id)
            {
                removed = _running[i];
                _running.RemoveAt(i);
                Release(removed);
                return true;
            }
        }

        for (var node = _waiting.First; node is not null; node = node.Next)
        {
            if (node.Value.Id == id)
            {
                removed = node.Value;
                _waiting.Remove(node);
                Release(removed);
                return true;
            }
        }

        removed = null;
        return false;
    }

    /// <summary>
    /// Frees a sequence's blocks; with block reuse its full computed blocks are indexed first, so a later request
    /// with the same prefix (or this one, preempted and admitted again) takes them instead of computing them.
    /// </summary>
    public void Release(Sequence sequence)
    {
        Index(sequence);
        _cache.Pool.ReleaseAll(sequence.Blocks);
    }

    /// <summary>With block reuse, indexes a sequence's full computed blocks that are not indexed yet (they stay its own).</summary>
    public void Index(Sequence sequence)
    {
        if (!sequence.PlaceholderKv)
        {
            _cache.Pool.Index?.Register(sequence.Tokens, sequence.Blocks, Math.Min(sequence.Computed / _cache.Layout.TokensPerBlock, sequence.Blocks.Count));
        }
    }

    /// <summary>Takes a finished sequence out of the running list; its blocks stay with the caller's decision.</summary>
    public void Finish(Sequence sequence) => _running.Remove(sequence);

    public IEnumerable<Sequence> All() => _running.Concat(_waiting);

    private bool TryAdmit(Sequence sequence, int budget, out int tokens)
    {
        var pool = _cache.Pool;
        if (sequence.AwaitingImport)
        {
            var snapshot = sequence.Request.ImportedKv!;
            var importBlocks = snapshot.BlockCount;
            tokens = Math.Min(sequence.Tokens.Count - snapshot.TokenCount, budget);
            var total = _cache.Layout.BlocksFor(snapshot.TokenCount + tokens);
            if (total > pool.FreeCount)
            {
                return false;
            }

            pool.TryAllocate(importBlocks, sequence.Blocks);
            for (var b = 0; b < importBlocks; b++)
            {
                var length = (int)_cache.Layout.BlockBytes;
                snapshot.Data.AsSpan(b * length, length).CopyTo(_cache.BlockBytes(sequence.Blocks[b]));
            }

            sequence.Computed = snapshot.TokenCount;
            sequence.PlaceholderKv = snapshot.IsPlaceholder;
            sequence.AwaitingImport = false;
            pool.TryAllocate(total - importBlocks, sequence.Blocks);
            return true;
        }

        // Block reuse: the prompt's first full blocks from the cache, all but the last token at most (its logits are needed).
        var reused = 0;
        if (pool.Index is { } index && sequence.Blocks.Count == 0)
        {
            reused = index.Match(sequence.Tokens, (sequence.Tokens.Count - 1) / _cache.Layout.TokensPerBlock, pool, sequence.Blocks);
            sequence.Computed = reused * _cache.Layout.TokensPerBlock;
        }

        tokens = Math.Min(sequence.Pending, budget);
        var needed = BlocksNeeded(sequence, tokens);
        if (needed > pool.FreeCount)
        {
            pool.ReleaseAll(sequence.Blocks); // the reused blocks go back to the cache
            sequence.Computed = 0;
            return false;
        }

        if (sequence.Preemptions == 0)
        {
            sequence.ReusedBlocks = reused; // a preempted request taking back its own blocks is not a prefix hit
        }

        pool.TryAllocate(needed, sequence.Blocks);
        return true;
    }

    private int BlocksNeeded(Sequence sequence, int tokens) =>
        Math.Max(0, _cache.Layout.BlocksFor(sequence.Computed + tokens) - sequence.Blocks.Count);

    private void Preempt(Sequence sequence)
    {
        _running.Remove(sequence);
        Release(sequence);
        sequence.Computed = 0;
        sequence.Preemptions++;
        Preemptions++;
        _waiting.AddFirst(sequence);
    }
}
