using System.Security.Cryptography;
using Tandem.Engine.KvCache;

namespace Tandem.Transfer;

/// <summary>
/// The sender's table of requests whose blocks may be pulled, each with its secret and lease end.
/// <code>
///  Register ──> waiting ──Claim(secret ok)──> claimed ──Complete──> gone (blocks released by the caller)
///                  ▲                              │
///                  └─────────Return───────────────┘  (failed pull: pullable again until the lease ends)
///  waiting past its lease ──> gone on the next look (the engine frees the blocks itself)
/// </code>
/// One claim at a time per request, so blocks are released at most once. Thread-safe.
/// </summary>
internal sealed class KvRegistry(KvCacheLayout layout, TimeSpan lease, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public KvTransferState Register(string requestId, string host, int port)
    {
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        var state = new KvTransferState(host, port, requestId, layout, KvTransferState.NewSecret());
        var now = time.GetUtcNow();
        lock (_lock)
        {
            SweepExpired(now);
            _entries[requestId] = new Entry(state.Secret, now + lease, Claimed: false);
        }

        return state;
    }

    /// <summary>Takes the request for one pull; on failure says why, as the error frame will.</summary>
    public bool TryClaim(string requestId, ReadOnlySpan<byte> secret, out KvTransferError error, out string reason)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(requestId, out var entry))
            {
                (error, reason) = (KvTransferError.NotFound, $"request {requestId} is unknown or was already transferred");
                return false;
            }

            if (!CryptographicOperations.FixedTimeEquals(entry.Secret.Span, secret))
            {
                (error, reason) = (KvTransferError.Refused, $"the secret for request {requestId} does not match");
                return false;
            }

            if (time.GetUtcNow() >= entry.LeaseEnd)
            {
                _entries.Remove(requestId);
                (error, reason) = (KvTransferError.NotFound, $"the lease on request {requestId}'s KV blocks expired ({lease.TotalMilliseconds:F0} ms)");
                return false;
            }

            if (entry.Claimed)
            {
                (error, reason) = (KvTransferError.NotFound, $"request {requestId} is being transferred to another receiver");
                return false;
            }

            _entries[requestId] = entry with { Claimed = true };
            (error, reason) = (default, string.Empty);
            return true;
        }
    }

    /// <summary>
    /// Forgets a waiting request whose blocks are to be freed without a transfer, when the secret matches; the caller
    /// frees the blocks on <see cref="KvReleaseOutcome.Released"/>. A request being transferred is left to that transfer.
    /// </summary>
    public KvReleaseResult Abandon(string requestId, ReadOnlySpan<byte> secret)
    {
        if (!TryClaim(requestId, secret, out var error, out var reason))
        {
            return new KvReleaseResult(error == KvTransferError.Refused ? KvReleaseOutcome.Refused : KvReleaseOutcome.NotHeld, reason);
        }

        Complete(requestId);
        return new KvReleaseResult(KvReleaseOutcome.Released, $"the KV blocks of request {requestId} were freed");
    }

    /// <summary>A claimed pull failed: the request may be pulled again while its lease lasts.</summary>
    public void Return(string requestId)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(requestId, out var entry))
            {
                _entries[requestId] = entry with { Claimed = false };
            }
        }
    }

    /// <summary>A claimed pull succeeded, or the blocks are gone: forget the request.</summary>
    public void Complete(string requestId)
    {
        lock (_lock)
        {
            _entries.Remove(requestId);
        }
    }

    private void SweepExpired(DateTimeOffset now)
    {
        List<string>? expired = null;
        foreach (var (id, entry) in _entries)
        {
            if (!entry.Claimed && now >= entry.LeaseEnd)
            {
                (expired ??= []).Add(id);
            }
        }

        expired?.ForEach(id => _entries.Remove(id));
    }

    private readonly record struct Entry(ReadOnlyMemory<byte> Secret, DateTimeOffset LeaseEnd, bool Claimed);
}
