namespace Tandem.Router.Configuration;

/// <summary>One of <c>context_servers</c> / <c>generation_servers</c>: its workers and how requests are spread over them.</summary>
public sealed record ServerSectionConfig
{
    public int NumInstances { get; init; }

    /// <summary>Base URLs (<c>http://host:port/</c>), as many as <see cref="NumInstances"/>.</summary>
    public IReadOnlyList<Uri> Urls { get; init; } = [];

    public RoutingPolicyConfig Router { get; init; } = new();

    public int TensorParallelSize { get; init; } = 1;

    public int PipelineParallelSize { get; init; } = 1;

    /// <summary>
    /// The workers' own settings (<c>model</c>, <c>kv_cache_config</c>, <c>cache_transceiver_config</c>, ...), inherited
    /// top-level keys included: key → the value as YAML text. The router does not read them; a launcher does.
    /// </summary>
    public IReadOnlyDictionary<string, string> WorkerSettings { get; init; } = new Dictionary<string, string>();
}
