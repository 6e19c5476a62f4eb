using System.Text.Json.Serialization;

namespace Tandem.Router.Endpoints;

/// <summary><c>/health</c>: <c>healthy</c> (200) or <c>unhealthy</c> (503) with every server's probe.</summary>
public sealed record HealthReport(string Status, IReadOnlyList<ServerHealth> Servers);

public sealed record ServerHealth(string Url, IReadOnlyList<string> Roles, bool Healthy, string? Reason);

/// <summary><c>/cluster_info</c>: the servers of each section and what the router knows of them.</summary>
public sealed record ClusterInfo(bool IsReady, IReadOnlyList<ServerInfo> ContextServers, IReadOnlyList<ServerInfo> GenerationServers, string ContextPolicy, string GenerationPolicy);

/// <summary>One server; <see cref="CachedBlocks"/>: the blocks its section's <c>kv_cache_aware</c> policy knows it holds (null for other policies).</summary>
public sealed record ServerInfo(string Url, bool Available, long ActiveRequests, long ActiveTokens, long Requests, long Errors, string? LastError, int? CachedBlocks = null);

public sealed record VersionInfo(string Version);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(HealthReport))]
[JsonSerializable(typeof(ClusterInfo))]
[JsonSerializable(typeof(VersionInfo))]
internal sealed partial class RouterJsonContext : JsonSerializerContext;
