using Tandem.Engine.KvCache;

namespace Tandem.Transfer;

/// <summary>
/// A transport without sockets for unit tests of its callers: sender and receiver in one object, walking the same
/// states as the TCP pair (state layout check → claim by secret → export → header layout check → copy → ack →
/// release) with the same registry, so the same outcomes and reasons. <see cref="Stop"/> makes every later pull
/// Unreachable; <see cref="BreakNextPull"/> cuts the next claimed transfer after its export (Broken, nothing released).
/// </summary>
public sealed class InProcessKvTransport : IKvSender, IKvReceiver
{
    public const string Host = "in-process";
    private const int Port = 1;

    private readonly IKvSource _source;
    private readonly KvRegistry _registry;
    private int _stopped;
    private int _breakNext;

    public InProcessKvTransport(IKvSource source, TimeSpan lease, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(time);
        _source = source;
        _registry = new KvRegistry(source.Layout, lease, time);
    }

    public KvTransferStats Stats { get; } = new();

    public int PendingCount => _registry.Count;

    public KvTransferState Register(string requestId) => _registry.Register(requestId, Host, Port);

    public async Task<KvReleaseResult> ReleaseAsync(string requestId, ReadOnlyMemory<byte> secret)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        var result = _registry.Abandon(requestId, secret.Span);
        if (result.Outcome == KvReleaseOutcome.Released)
        {
            await _source.ReleaseAsync(requestId).ConfigureAwait(false);
        }

        return result;
    }

    public void Stop() => Volatile.Write(ref _stopped, 1);

    public void BreakNextPull() => Volatile.Write(ref _breakNext, 1);

    public async Task<KvPullResult> PullAsync(KvTransferState state, KvCacheLayout localLayout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(localLayout);
        cancellationToken.ThrowIfCancellationRequested();
        var (result, bytes) = await WalkAsync(state, localLayout).ConfigureAwait(false);
        if (result.Succeeded)
        {
            Stats.RecordSuccess(bytes);
        }
        else
        {
            Stats.RecordFailure(result.Error, bytes);
        }

        return result;
    }

    private async Task<(KvPullResult Result, long Bytes)> WalkAsync(KvTransferState state, KvCacheLayout localLayout)
    {
        if (LayoutCheck.Mismatch(state.Layout, localLayout) is { } early)
        {
            return (KvPullResult.Failure(KvTransferError.LayoutMismatch, early), 0);
        }

        if (Volatile.Read(ref _stopped) != 0 || state.Host != Host || state.Port != Port)
        {
            return (KvPullResult.Failure(KvTransferError.Unreachable, $"cannot reach the context server's KV transfer listener at {state.Host}:{state.Port}: the in-process transport is stopped"), 0);
        }

        if (!_registry.TryClaim(state.RequestId, state.Secret.Span, out var refusal, out var reason))
        {
            return (KvPullResult.Failure(refusal, reason), 0);
        }

        var snapshot = await _source.ExportAsync(state.RequestId).ConfigureAwait(false);
        if (snapshot is null)
        {
            _registry.Complete(state.RequestId);
            return (KvPullResult.Failure(KvTransferError.NotFound, $"the KV blocks of request {state.RequestId} are no longer held"), 0);
        }

        if (LayoutCheck.Mismatch(snapshot.Layout, localLayout) is { } mismatch)
        {
            _registry.Return(state.RequestId);
            return (KvPullResult.Failure(KvTransferError.LayoutMismatch, mismatch), 0);
        }

        if (Interlocked.Exchange(ref _breakNext, 0) != 0)
        {
            _registry.Return(state.RequestId);
            var half = snapshot.Data.LongLength / 2;
            return (KvPullResult.Failure(KvTransferError.Broken, $"connection to the context server lost after {half} of {snapshot.Data.LongLength} bytes: cut by the in-process transport"), half);
        }

        var copy = new KvSnapshot(snapshot.Layout, snapshot.TokenCount, (byte[])snapshot.Data.Clone());
        _registry.Complete(state.RequestId);
        await _source.ReleaseAsync(state.RequestId).ConfigureAwait(false);
        return (KvPullResult.Success(copy), copy.Data.LongLength);
    }
}
