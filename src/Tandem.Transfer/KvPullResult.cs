using System.Diagnostics.CodeAnalysis;
using Tandem.Engine.KvCache;

namespace Tandem.Transfer;

/// <summary>The outcome of a pull: the snapshot, or why there is none.</summary>
public readonly record struct KvPullResult
{
    private KvPullResult(KvSnapshot? snapshot, KvTransferError error, string? reason)
    {
        Snapshot = snapshot;
        Error = error;
        Reason = reason;
    }

    [MemberNotNullWhen(true, nameof(Snapshot))]
    [MemberNotNullWhen(false, nameof(Reason))]
    public bool Succeeded => Snapshot is not null;

    public KvSnapshot? Snapshot { get; }

    /// <summary>Meaningful only when the pull failed.</summary>
    public KvTransferError Error { get; }

    public string? Reason { get; }

    public static KvPullResult Success(KvSnapshot snapshot) => new(snapshot ?? throw new ArgumentNullException(nameof(snapshot)), default, null);

    public static KvPullResult Failure(KvTransferError error, string reason) => new(null, error, reason);

    public override string ToString() => Succeeded ? $"pulled {Snapshot.TokenCount} tokens" : $"{Error}: {Reason}";
}
