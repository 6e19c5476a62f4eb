using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Tandem.Router.State;

namespace Tandem.Router;

/// <summary>
/// Startup's check that context and generation servers can exchange KV caches: each server's <c>kv_cache_layout</c>
/// from <c>GET /server_info</c> (a Tandem worker's: model fingerprint, layers, KV heads, head size, dtype, tokens per
/// block). A generation server refuses blocks of another layout, so every disaggregated request between such a pair
/// would fail; each differing pair of layouts is logged once as an error that says what to align. A server that does
/// not answer or tells no layout (a TensorRT-LLM worker) is not checked. The router starts either way.
/// </summary>
internal static class KvLayoutCheck
{
    /// <summary>The mismatches found, as logged (for tests); empty when the layouts agree or cannot be read.</summary>
    public static async Task<IReadOnlyList<string>> RunAsync(RouterState state, ILogger logger, CancellationToken cancellationToken)
    {
        var context = state.Cluster.Context.Servers;
        var generation = state.Cluster.Generation.Servers;
        if (context.Count == 0 || generation.Count == 0)
        {
            return [];
        }

        var layouts = await Task.WhenAll(context.Concat(generation).Select(s => LayoutAsync(state, s, cancellationToken))).ConfigureAwait(false);
        var contextLayouts = context.Zip(layouts.Take(context.Count)).Where(p => p.Second is not null).ToList();
        var generationLayouts = generation.Zip(layouts.Skip(context.Count)).Where(p => p.Second is not null).ToList();
        var seen = new HashSet<(string, string)>();
        var mismatches = new List<string>();
        foreach (var (ctx, ctxLayout) in contextLayouts)
        {
            foreach (var (gen, genLayout) in generationLayouts)
            {
                if (ctxLayout != genLayout && seen.Add((ctxLayout!, genLayout!)))
                {
                    RouterLog.KvLayoutMismatch(logger, ctx.Name, ctxLayout!, gen.Name, genLayout!);
                    mismatches.Add($"{ctx.Name} {ctxLayout} / {gen.Name} {genLayout}");
                }
            }
        }

        return mismatches;
    }

    /// <summary>The server's layout as one line (its JSON fields in order), or null when it tells none.</summary>
    private static async Task<string?> LayoutAsync(RouterState state, UpstreamServer server, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(state.Options.HealthProbeTimeout);
        try
        {
            using var response = await state.Http.GetAsync(new Uri(server.Url, "server_info"), bound.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var info = JsonNode.Parse(await response.Content.ReadAsStringAsync(bound.Token).ConfigureAwait(false));
            return info?["kv_cache_layout"] is JsonObject layout && layout.Count > 0
                ? string.Join(", ", layout.Select(p => $"{p.Key} {p.Value?.ToJsonString()}"))
                : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }
}
