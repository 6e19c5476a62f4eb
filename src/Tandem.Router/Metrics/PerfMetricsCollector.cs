using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tandem.Router.Forwarding;
using Tandem.Router.State;

namespace Tandem.Router.Metrics;

/// <summary>
/// <c>GET /perf_metrics</c> (reference §8). Off (<c>perf_metrics_max_requests: 0</c>): <c>[]</c>, and no worker is asked.
/// On: every server (context and generation, each once) is asked for its <c>/perf_metrics</c> in parallel, its clock
/// aligned first (<see cref="WorkerClocks"/>); a worker that fails, answers garbage or takes longer than
/// <see cref="RouterOptions.PerfMetricsTimeout"/> is logged and skipped. The answers are joined with the router's records
/// (<see cref="PerfMetricsJoin"/>). Calls run one at a time, so each worker item is handed out once.
/// </summary>
internal sealed class PerfMetricsCollector : IDisposable
{
    public const string Path = "perf_metrics";

    private static readonly byte[] Empty = "[]"u8.ToArray();

    private readonly RouterState _state;
    private readonly ILogger _logger;
    private readonly WorkerClocks _clocks;
    private readonly PerfMetricsJoin? _join;
    private readonly SemaphoreSlim _oneCall = new(1, 1);

    public PerfMetricsCollector(RouterState state, ILogger logger)
    {
        _state = state;
        _logger = logger;
        _clocks = new WorkerClocks(state.Http, state.Time, state.Options.PerfMetricsTimeout, logger);
        _join = state.PerfRecords is { } records ? new PerfMetricsJoin(records.Capacity) : null;
    }

    public void Dispose() => _oneCall.Dispose();

    public async Task HandleAsync(HttpContext context)
    {
        var body = await CollectAsync(context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The joined items ready now, as a JSON array; the records still waiting for their generation item stay.</summary>
    public async Task<byte[]> CollectAsync(CancellationToken cancellationToken)
    {
        if (_state.PerfRecords is not { } records || _join is null)
        {
            return Empty;
        }

        await _oneCall.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var servers = _state.Cluster.All;
            var answers = await Task.WhenAll(servers.Select(s => FetchAsync(s, cancellationToken))).ConfigureAwait(false);
            for (var i = 0; i < servers.Count; i++)
            {
                if (answers[i] is { } items)
                {
                    _join.Add(servers[i].Name, items);
                }
            }

            return PerfMetricsJoin.ToJson(_join.Join(records));
        }
        finally
        {
            _oneCall.Release();
        }
    }

    /// <summary>The worker's items (a JSON array), or null, logged, when it could not be aligned or fetched.</summary>
    private async Task<JsonElement?> FetchAsync(UpstreamServer server, CancellationToken cancellationToken)
    {
        if (!await _clocks.AlignAsync(server, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var timeout = _state.Options.PerfMetricsTimeout;
        using var expiry = new CancellationTokenSource(timeout, _state.Time);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, expiry.Token);
        string problem;
        try
        {
            using var response = await _state.Http.GetAsync(new Uri(server.Url, Path), bound.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(bound.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                problem = $"answered {(int)response.StatusCode} {response.ReasonPhrase}";
            }
            else
            {
                using var json = JsonDocument.Parse(body);
                if (json.RootElement.ValueKind == JsonValueKind.Array)
                {
                    return json.RootElement.Clone();
                }

                problem = $"answered a JSON {json.RootElement.ValueKind}, not an array";
            }
        }
        catch (OperationCanceledException) when (expiry.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            problem = $"no answer within {timeout.TotalSeconds:0.###} s";
        }
        catch (HttpRequestException e)
        {
            problem = UpstreamClient.Reason(e);
        }
        catch (JsonException e)
        {
            problem = $"answered malformed JSON: {e.Message}";
        }

        RouterLog.PerfMetricsFetchFailed(_logger, server.Name, problem);
        return null;
    }
}
