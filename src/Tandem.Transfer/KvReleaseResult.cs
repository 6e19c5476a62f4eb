namespace Tandem.Transfer;

/// <summary>What <see cref="IKvSender.ReleaseAsync"/> did.</summary>
public enum KvReleaseOutcome
{
    /// <summary>The held blocks were freed.</summary>
    Released,

    /// <summary>Nothing is held under that id now: transferred, expired, released before, being transferred, or never known.</summary>
    NotHeld,

    /// <summary>The secret does not match the request's: nothing changed.</summary>
    Refused,
}

/// <summary>A release's outcome and, for people, why.</summary>
public readonly record struct KvReleaseResult(KvReleaseOutcome Outcome, string Reason);
