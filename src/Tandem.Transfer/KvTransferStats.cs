namespace Tandem.Transfer;

/// <summary>
/// Counts of finished transfers, by outcome, for one role (a server's sender or its receiver). Updated by
/// transfer tasks on any thread; read by <c>/metrics</c>.
/// </summary>
public sealed class KvTransferStats
{
    private readonly long[] _failuresByError = new long[Enum.GetValues<KvTransferError>().Max(e => (int)e) + 1];
    private long _succeeded;
    private long _succeededBytes;
    private long _failed;
    private long _failedBytes;

    public long Succeeded => Interlocked.Read(ref _succeeded);

    /// <summary>KV bytes moved by successful transfers.</summary>
    public long SucceededBytes => Interlocked.Read(ref _succeededBytes);

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>KV bytes moved by transfers that then failed (wasted work).</summary>
    public long FailedBytes => Interlocked.Read(ref _failedBytes);

    public long FailuresOf(KvTransferError error) => Interlocked.Read(ref _failuresByError[(int)error]);

    internal void RecordSuccess(long bytes)
    {
        Interlocked.Increment(ref _succeeded);
        Interlocked.Add(ref _succeededBytes, bytes);
    }

    internal void RecordFailure(KvTransferError error, long bytes)
    {
        Interlocked.Increment(ref _failed);
        Interlocked.Add(ref _failedBytes, bytes);
        Interlocked.Increment(ref _failuresByError[(int)error]);
    }
}
