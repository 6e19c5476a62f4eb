using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Contracts;
using Tandem.Router.Configuration;
using Tandem.Router.Endpoints;
using Tandem.Router.Forwarding;
using Tandem.Router.Metrics;

namespace Tandem.Router;

/// <summary>
/// <c>tandem disaggregated</c>: one OpenAI-compatible endpoint in front of context and generation servers.
///
/// Lifecycle: bind the address (fails fast) → wait until every server's <c>/health</c> answers 200 (requests meanwhile
/// get 503) → log the ready line → serve until cancelled → stop accepting, cancel the legs in flight.
/// </summary>
public static class DisaggregatedRouter
{
    /// <summary>Runs until <paramref name="cancellationToken"/> fires (Ctrl-C, SIGTERM); 0 on a clean stop, 1 when startup failed.</summary>
    public static async Task<int> RunAsync(RouterConfig config, RouterOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var loggerFactory = CreateLoggerFactory(options.LogLevel);
        RunningRouter router;
        try
        {
            router = await StartAsync(config, options, loggerFactory, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return 1;
        }
        catch (RouterStartException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return 1;
        }

        await using (router.ConfigureAwait(false))
        {
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return 0;
    }

    /// <summary>Binds, waits for the servers and starts serving; the returned router knows its bound address (useful with port 0).</summary>
    public static async Task<RunningRouter> StartAsync(
        RouterConfig config,
        RouterOptions? options = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        options ??= new RouterOptions();
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("Tandem.Router");
        var http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        var state = new RouterState(config, options, http, timeProvider ?? TimeProvider.System);
        await Routing.KvAwareSetup.ApplyAsync(state, logger, cancellationToken).ConfigureAwait(false);
        var perfMetrics = new PerfMetricsCollector(state, logger);
        var app = Build(state, perfMetrics, loggerFactory, logger);
        try
        {
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new RouterStartException($"cannot bind {config.Hostname}:{config.Port}: {e.Message}", e);
            }

            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            if (options.BenchmarkGenerationOnly)
            {
                RouterLog.BenchmarkGenerationOnly(logger);
            }
            else if (config.IsAggregated)
            {
                RouterLog.Aggregated(logger);
            }

            if (await ServerReadiness.WaitAsync(state, logger, cancellationToken).ConfigureAwait(false) is { } notReady)
            {
                throw new RouterStartException(notReady);
            }

            if (!options.BenchmarkGenerationOnly)
            {
                await KvLayoutCheck.RunAsync(state, logger, cancellationToken).ConfigureAwait(false);
            }

            state.Ready = true;
            var url = address.ToString();
            var contextPolicy = state.Cluster.Context.Policy.Name;
            var generationPolicy = state.Cluster.Generation.Policy.Name;
            RouterLog.Ready(
                logger, url, config.ContextServers.NumInstances, contextPolicy,
                config.GenerationServers.NumInstances, generationPolicy, config.Model ?? "(from the generation servers)");
            return new RunningRouter(app, http, perfMetrics, address, StartSummaryLog(state, logger));
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            perfMetrics.Dispose();
            http.Dispose();
            throw;
        }
    }

    public static ILoggerFactory CreateLoggerFactory(LogLevel level) => LoggerFactory.Create(b => b
        .SetMinimumLevel(level)
        .AddFilter("Microsoft", LogLevel.Warning)
        .AddFilter("System.Net.Http", LogLevel.Warning)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        }));

    private static WebApplication Build(RouterState state, PerfMetricsCollector perfMetrics, ILoggerFactory loggerFactory, ILogger logger)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            var host = state.Config.Hostname;
            var port = state.Config.Port;
            if (host is "0.0.0.0" or "*")
            {
                kestrel.ListenAnyIP(port);
            }
            else if (host == "localhost" && port != 0)
            {
                kestrel.ListenLocalhost(port);
            }
            else
            {
                var ip = host == "localhost" ? IPAddress.Loopback
                    : IPAddress.TryParse(host, out var parsed) ? parsed
                    : Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new RouterStartException($"hostname '{host}' does not resolve to an address");
                kestrel.Listen(ip, port);
            }
        });

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
            }
#pragma warning disable CA1031 // a bug in one request answers 500 (no stack trace) and the router goes on
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var path = context.Request.Path.Value ?? "";
                RouterLog.Unhandled(logger, ex, path);
                await JsonResponses.WriteErrorAsync(context.Response, ErrorResponse.ServerError()).ConfigureAwait(false);
            }
        });

        var flow = new DisaggregatedFlow(state, logger);
        var info = new InfoEndpoints(state);
        app.MapPost(ClientRequest.CompletionsPath, flow.HandleCompletionAsync);
        app.MapPost(ClientRequest.ChatPath, flow.HandleChatAsync);
        app.MapGet("/v1/models", info.ModelsAsync);
        app.MapGet("/health", info.HealthAsync);
        app.MapGet("/cluster_info", info.ClusterInfoAsync);
        app.MapGet("/version", InfoEndpoints.VersionAsync);
        app.MapGet("/metrics", info.MetricsAsync);
        app.MapGet("/prometheus/metrics", info.MetricsAsync); // TensorRT-LLM's (v2) path for the same exposition
        app.MapGet("/" + PerfMetricsCollector.Path, perfMetrics.HandleAsync);
        app.MapFallback(context => JsonResponses.WriteErrorAsync(
            context.Response, ErrorResponse.NotFound($"No route {context.Request.Method} {context.Request.Path}.")));
        return app;
    }

    /// <summary><c>--metrics-log-interval</c>: a one-line summary every interval until the router stops.</summary>
    private static (Task Task, CancellationTokenSource Stop)? StartSummaryLog(RouterState state, ILogger logger)
    {
        if (state.Options.MetricsLogInterval is not { } interval || interval <= TimeSpan.Zero)
        {
            return null;
        }

        var stop = new CancellationTokenSource();
        var task = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval, state.Time);
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
                {
                    var (contextStarted, contextCompleted) = state.Metrics.ContextLegs;
                    var (generationStarted, generationCompleted) = state.Metrics.GenerationLegs;
                    RouterLog.Summary(logger, contextStarted, contextCompleted, generationStarted, generationCompleted, state.Metrics.ActiveRequests);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        return (task, stop);
    }
}

/// <summary>A started router: its address and a way to stop it.</summary>
public sealed class RunningRouter : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _http;
    private readonly PerfMetricsCollector _perfMetrics;
    private readonly (Task Task, CancellationTokenSource Stop)? _summary;

    internal RunningRouter(WebApplication app, HttpClient http, PerfMetricsCollector perfMetrics, Uri address, (Task Task, CancellationTokenSource Stop)? summary)
    {
        _app = app;
        _http = http;
        _perfMetrics = perfMetrics;
        _summary = summary;
        Address = address;
    }

    public Uri Address { get; }

    public async ValueTask DisposeAsync()
    {
        if (_summary is { } summary)
        {
            await summary.Stop.CancelAsync().ConfigureAwait(false);
            await summary.Task.ConfigureAwait(false);
            summary.Stop.Dispose();
        }

        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _perfMetrics.Dispose();
        _http.Dispose();
    }
}
