using Tandem.Router.Routing;

namespace Tandem.Router.State;

/// <summary>The run-time side of one config section: its servers (state shared with the other section for a mixed server) and its policy.</summary>
public sealed class ServerSection(string role, IReadOnlyList<UpstreamServer> servers, IRoutingPolicy policy)
{
    /// <summary><c>context</c> or <c>generation</c>, as logs and metrics name the leg.</summary>
    public string Role { get; } = role;

    public IReadOnlyList<UpstreamServer> Servers { get; } = servers;

    public IRoutingPolicy Policy { get; } = policy;

    /// <summary>How this section's cache-aware policy hashes prompts; null for the other policies (set at start).</summary>
    public PromptBlocks? Blocks { get; set; }

    /// <summary>
    /// The policy's choice among the servers not in <paramref name="exclude"/>, preferring those that have not failed
    /// lately; <paramref name="avoid"/> (the context server, for a mixed server) is taken only when it is the last one left.
    /// Null when every server is excluded.
    /// </summary>
    public UpstreamServer? Pick(long promptTokens, DateTimeOffset now, IReadOnlySet<UpstreamServer> exclude, UpstreamServer? avoid = null, IReadOnlyList<ulong>? blockHashes = null)
    {
        var open = Servers.Where(s => !exclude.Contains(s)).ToList();
        if (open.Count == 0)
        {
            return null;
        }

        if (open.Count > 1 && avoid is not null)
        {
            open.Remove(avoid);
        }

        var up = open.Where(s => s.IsAvailable(now)).ToList();
        return Policy.Pick(up.Count > 0 ? up : open, promptTokens, blockHashes);
    }
}
