using Microsoft.Extensions.Logging;

namespace Tandem.Engine.Hub;

internal static partial class HubLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Using {Repo}@{Revision} from the cache at {Snapshot}")]
    public static partial void UsingCache(ILogger logger, string repo, string revision, string snapshot);

    [LoggerMessage(Level = LogLevel.Information, Message = "Downloading {Repo}@{Revision} (commit {Commit}) into {Cache}")]
    public static partial void Downloading(ILogger logger, string repo, string revision, string commit, string cache);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Skipping {File}: not in the repository")]
    public static partial void SkippingMissing(ILogger logger, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Download of {File} broke after {Bytes} bytes (attempt {Attempt} of {MaxAttempts}); resuming")]
    public static partial void Resuming(ILogger logger, string file, long bytes, int attempt, int maxAttempts, Exception exception);
}
