namespace Tandem.Contracts;

/// <summary>Values of <see cref="DisaggregatedParams.KvTransfer"/>.</summary>
public static class KvTransferOutcomes
{
    public const string Recomputed = "recomputed";
}
