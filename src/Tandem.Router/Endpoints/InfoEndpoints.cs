using System.Reflection;
using Microsoft.AspNetCore.Http;
using Tandem.Contracts;
using Tandem.Router.Forwarding;
using Tandem.Router.Routing;
using Tandem.Router.State;

namespace Tandem.Router.Endpoints;

/// <summary><c>/v1/models</c>, <c>/health</c>, <c>/cluster_info</c>, <c>/version</c> and <c>/metrics</c>.</summary>
internal sealed class InfoEndpoints(RouterState state)
{
    private static readonly string Version =
        typeof(InfoEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private readonly long _started = state.Time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>The config's model; when the config names none, the generation servers' own list.</summary>
    public async Task ModelsAsync(HttpContext context)
    {
        if (state.Config.Model is { } model)
        {
            var list = new ModelList { Data = [new ModelCard { Id = model, Created = _started, OwnedBy = "tandem" }] };
            await JsonResponses.WriteAsync(context.Response, list, ContractsJsonContext.Default.ModelList).ConfigureAwait(false);
            return;
        }

        var server = state.Cluster.Generation.Servers[0];
        try
        {
            using var response = await state.Http.GetAsync(new Uri(server.Url, "v1/models"), context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = (int)response.StatusCode;
            context.Response.ContentType = "application/json";
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            await JsonResponses.WriteErrorAsync(context.Response, ErrorResponse.BadGateway($"cannot reach {server.Name} for its model list: {UpstreamClient.Reason(e)}")).ConfigureAwait(false);
        }
    }

    /// <summary>200 when every server answers its <c>/health</c> with 200, else 503 naming the failing ones.</summary>
    public async Task HealthAsync(HttpContext context)
    {
        var probes = await HealthProbe.ProbeAsync(state.Http, state.Cluster.All, state.Options.HealthProbeTimeout, context.RequestAborted).ConfigureAwait(false);
        var servers = probes.Select(p => new ServerHealth(p.Server.Url.ToString(), Roles(p.Server), p.Failure is null, p.Failure)).ToList();
        var healthy = servers.All(s => s.Healthy) && state.Ready;
        await JsonResponses.WriteAsync(
            context.Response,
            new HealthReport(healthy ? "healthy" : "unhealthy", servers),
            RouterJsonContext.Default.HealthReport,
            healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable).ConfigureAwait(false);
    }

    public Task ClusterInfoAsync(HttpContext context)
    {
        var now = state.Time.GetUtcNow();
        List<ServerInfo> Infos(ServerSection section) => section.Servers
            .Select(s => new ServerInfo(
                s.Url.ToString(), s.IsAvailable(now), s.ActiveRequests, s.ActiveTokens, s.Requests, s.Errors, s.LastError,
                (section.Policy as KvCacheAwarePolicy)?.CachedBlocks(s)))
            .ToList();
        var info = new ClusterInfo(
            state.Ready,
            Infos(state.Cluster.Context),
            Infos(state.Cluster.Generation),
            state.Cluster.Context.Policy.Name,
            state.Cluster.Generation.Policy.Name);
        return JsonResponses.WriteAsync(context.Response, info, RouterJsonContext.Default.ClusterInfo);
    }

    public static Task VersionAsync(HttpContext context) =>
        JsonResponses.WriteAsync(context.Response, new VersionInfo(Version), RouterJsonContext.Default.VersionInfo);

    public async Task MetricsAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await state.Metrics.WriteAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private List<string> Roles(UpstreamServer server)
    {
        var roles = new List<string>(2);
        if (state.Cluster.Context.Servers.Contains(server))
        {
            roles.Add("context");
        }

        if (state.Cluster.Generation.Servers.Contains(server))
        {
            roles.Add("generation");
        }

        return roles;
    }
}
