using System.Collections.Concurrent;
using System.Text.Json;
using Tandem.Router.State;

namespace Tandem.Router.Routing;

/// <summary>
/// <c>kv_cache_aware</c> (TensorRT-LLM's KV-aware router): the server that already holds the longest start of the
/// prompt in its block-reuse cache, less its load. Per server it keeps the set of block hashes the worker reported as
/// stored and not yet removed (<c>POST /kv_cache_events</c>, polled after each request the server finished,
/// <see cref="KvEventsPoller"/>). A request's blocks are the chained hashes of its prompt's full blocks before the last
/// token (<see cref="Engine.KvCache.BlockHasher"/>, <see cref="PromptBlocks"/>). Then, per server:
/// <code>
///   matched = tokens_per_block × (leading blocks of the request the server holds, stopping at the first it does not)
///   score   = matched / max(blocks × tokens_per_block, 1) − active requests / max_batch_size
/// </code>
/// and the highest score wins, ties in turn. A request without blocks (its prompt could not be hashed) is placed by
/// load alone, as is every request while the workers report no events.
/// </summary>
public sealed class KvCacheAwarePolicy(int tokensPerBlock, int maxBatchSize) : IRoutingPolicy
{
    public const string PolicyName = "kv_cache_aware";

    private readonly ConcurrentDictionary<UpstreamServer, ServerBlocks> _blocks = new();
    private uint _start = uint.MaxValue;

    public string Name => PolicyName;

    public int TokensPerBlock { get; } = tokensPerBlock;

    public int MaxBatchSize { get; } = maxBatchSize;

    /// <summary>Called when a server finished a request of this section (set by the router to poll that server's events).</summary>
    public Action<UpstreamServer>? OnFinished { get; set; }

    public UpstreamServer Pick(IReadOnlyList<UpstreamServer> available, long promptTokens) => Pick(available, promptTokens, null);

    public UpstreamServer Pick(IReadOnlyList<UpstreamServer> available, long promptTokens, IReadOnlyList<ulong>? blockHashes)
    {
        var start = (int)(Interlocked.Increment(ref _start) % (uint)available.Count);
        var best = available[start];
        var bestScore = Score(best, blockHashes);
        for (var i = 1; i < available.Count; i++)
        {
            var candidate = available[(start + i) % available.Count];
            var score = Score(candidate, blockHashes);
            if (score > bestScore)
            {
                (best, bestScore) = (candidate, score);
            }
        }

        return best;
    }

    public void Finished(UpstreamServer server) => OnFinished?.Invoke(server);

    /// <summary>Leading blocks of <paramref name="blockHashes"/> that <paramref name="server"/> holds.</summary>
    public int MatchedBlocks(UpstreamServer server, IReadOnlyList<ulong> blockHashes) =>
        _blocks.TryGetValue(server, out var blocks) ? blocks.Leading(blockHashes) : 0;

    /// <summary>How many blocks <paramref name="server"/> reported stored and not removed.</summary>
    public int CachedBlocks(UpstreamServer server) => _blocks.TryGetValue(server, out var blocks) ? blocks.Count : 0;

    /// <summary>Applies a worker's drained events (TensorRT-LLM's JSON array); returns how many were stored or removed blocks.</summary>
    public int Apply(UpstreamServer server, JsonElement events) => _blocks.GetOrAdd(server, _ => new ServerBlocks()).Apply(events);

    private double Score(UpstreamServer server, IReadOnlyList<ulong>? blockHashes)
    {
        var load = server.ActiveRequests / (double)Math.Max(MaxBatchSize, 1);
        if (blockHashes is null || blockHashes.Count == 0)
        {
            return -load;
        }

        var matched = MatchedBlocks(server, blockHashes) * (double)TokensPerBlock;
        return (matched / (blockHashes.Count * (double)TokensPerBlock)) - load;
    }

    /// <summary>One server's cached block hashes.</summary>
    private sealed class ServerBlocks
    {
        private readonly HashSet<ulong> _hashes = [];
        private readonly Lock _lock = new();

        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _hashes.Count;
                }
            }
        }

        public int Leading(IReadOnlyList<ulong> blockHashes)
        {
            lock (_lock)
            {
                var n = 0;
                while (n < blockHashes.Count && _hashes.Contains(blockHashes[n]))
                {
                    n++;
                }

                return n;
            }
        }

        /// <summary>
        /// Events as TensorRT-LLM writes them (each <c>{"data": {...}}</c> or the data itself): <c>created</c> empties the set,
        /// <c>stored</c> adds, <c>removed</c> discards; unknown kinds are skipped.
        /// </summary>
        public int Apply(JsonElement events)
        {
            var changed = 0;
            lock (_lock)
            {
                foreach (var raw in events.EnumerateArray())
                {
                    var e = raw.ValueKind == JsonValueKind.Object && raw.TryGetProperty("data", out var data) ? data : raw;
                    if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("type", out var type))
                    {
                        continue;
                    }

                    if (type.ValueEquals("created"))
                    {
                        // A new pool (the worker started or restarted): whatever it held before is gone.
                        changed += _hashes.Count;
                        _hashes.Clear();
                    }
                    else if (type.ValueEquals("stored") && e.TryGetProperty("blocks", out var blocks) && blocks.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var block in blocks.EnumerateArray())
                        {
                            if (block.ValueKind == JsonValueKind.Object && block.TryGetProperty("block_hash", out var hash) && hash.TryGetUInt64(out var value))
                            {
                                changed += _hashes.Add(value) ? 1 : 0;
                            }
                        }
                    }
                    else if (type.ValueEquals("removed") && e.TryGetProperty("block_hashes", out var removed) && removed.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var hash in removed.EnumerateArray())
                        {
                            if (hash.TryGetUInt64(out var value))
                            {
                                changed += _hashes.Remove(value) ? 1 : 0;
                            }
                        }
                    }
                }
            }

            return changed;
        }
    }
}
