using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tandem.Engine.Hub;

/// <summary>
/// How <see cref="ModelLocator"/> reaches the Hugging Face hub and its cache. The environment is
/// read through <see cref="Environment"/> (the process environment by default) so tests stay hermetic:
/// <c>HF_HUB_CACHE</c>, <c>HF_HOME</c>, <c>XDG_CACHE_HOME</c>, <c>HF_ENDPOINT</c>, <c>HF_TOKEN</c>, <c>HF_HUB_OFFLINE</c>.
/// </summary>
public sealed record HubOptions
{
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>The HTTP handler; it must not follow redirects itself (the locator strips Authorization across hosts). Not disposed.</summary>
    public HttpMessageHandler? Handler { get; init; }

    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>The home directory for <c>~/.cache</c>; the user profile when null.</summary>
    public string? HomeDirectory { get; init; }

    /// <summary>Tries per file before a broken transfer is an error; each retry resumes from the partial file.</summary>
    public int MaxAttempts { get; init; } = 3;

    public ILogger Logger { get; init; } = NullLogger.Instance;

    internal string Endpoint => (Variable("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/');

    internal string? Token => Variable("HF_TOKEN") ?? Variable("HUGGING_FACE_HUB_TOKEN");

    internal bool Offline => Variable("HF_HUB_OFFLINE")?.ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    internal string CacheDirectory
    {
        get
        {
            if (Variable("HF_HUB_CACHE") is { } cache)
            {
                return cache;
            }

            var home = Variable("HF_HOME") ?? Path.Combine(
                Variable("XDG_CACHE_HOME") ?? Path.Combine(HomeDirectory ?? System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache"),
                "huggingface");
            return Path.Combine(home, "hub");
        }
    }

    private string? Variable(string name) => Environment(name) is { Length: > 0 } value ? value : null;
}

/// <summary>Bytes of <see cref="File"/> received so far; <see cref="TotalBytes"/> when the server said.</summary>
public readonly record struct DownloadProgress(string File, long BytesDone, long? TotalBytes)
{
    public bool IsComplete => TotalBytes is { } total && BytesDone >= total;
}
