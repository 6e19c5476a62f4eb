using Tandem.Router.Configuration;
using Tandem.Router.Routing;

namespace Tandem.Router.State;

/// <summary>Every upstream server once (a mixed server appears in both sections with one state) and the two sections.</summary>
public sealed class Cluster
{
    public Cluster(RouterConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var byUrl = new Dictionary<Uri, UpstreamServer>();
        UpstreamServer Get(Uri url) => byUrl.TryGetValue(url, out var s) ? s : byUrl[url] = new UpstreamServer(url);
        Context = new ServerSection("context", config.ContextServers.Urls.Select(Get).ToList(), RoutingPolicies.Create(config.ContextServers.Router));
        Generation = new ServerSection("generation", config.GenerationServers.Urls.Select(Get).ToList(), RoutingPolicies.Create(config.GenerationServers.Router));
        All = byUrl.Values.ToList();
    }

    public ServerSection Context { get; }

    public ServerSection Generation { get; }

    public IReadOnlyList<UpstreamServer> All { get; }
}
