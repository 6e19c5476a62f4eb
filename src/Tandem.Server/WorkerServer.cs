using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tandem.Contracts;
using Tandem.Engine.Hub;
using Tandem.Engine.Runtime;
using Tandem.Server.Configuration;
using Tandem.Server.Disaggregation;
using Tandem.Server.Endpoints;
using Tandem.Server.Http;

namespace Tandem.Server;

/// <summary>
/// <c>tandem serve</c>: one model behind an OpenAI-compatible HTTP API (Kestrel).
///
/// Lifecycle: resolve and load the model → start the engine thread → bind the URL → log the ready
/// line → serve until cancelled → stop accepting, cancel what runs, stop the engine.
/// The server's role (context, generation or both) decides which disaggregated request types it takes.
/// </summary>
public static class WorkerServer
{
    /// <summary>Runs until <paramref name="cancellationToken"/> fires (Ctrl-C, SIGTERM); 0 on a clean stop, 1 when startup failed.</summary>
    public static async Task<int> RunAsync(ServerSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var loggerFactory = CreateLoggerFactory(settings.LogLevel);
        RunningWorker worker;
        try
        {
            worker = await StartAsync(settings, loggerFactory, progress: ConsoleProgressBar.ForStandardError(), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return 1;
        }
#pragma warning disable CA1031 // startup failures of any kind are reported as one line and a non-zero exit
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return 1;
        }

        await using (worker.ConfigureAwait(false))
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

    /// <summary>Loads the model and starts serving; the returned worker knows its bound address (useful with port 0).</summary>
    public static async Task<RunningWorker> StartAsync(
        ServerSettings settings,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        loggerFactory ??= Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        var time = timeProvider ?? TimeProvider.System;
        var logger = loggerFactory.CreateLogger("Tandem.Server");
        ServerLog.Loading(logger, settings.Model);
        var model = await LocalModel.LoadAsync(settings.Model, settings.ToEngineOptions(), loggerFactory, time, progress, settings.Tokenizer, settings.ChatTemplate, cancellationToken).ConfigureAwait(false);
        try
        {
            var state = new ServerState(model, settings, time);
            var disaggregation = new DisaggregationService(settings, model.Engine, state.Metrics, loggerFactory, time);
            state.Disaggregation = disaggregation;
            var app = Build(settings, state, loggerFactory, logger);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await disaggregation.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            if (disaggregation.TransferEndpoint is { } transferEndpoint)
            {
                DisaggregationLog.Listening(logger, transferEndpoint);
            }

            var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var engine = model.Engine;
            var role = settings.ServerRole.ToString().ToLowerInvariant();
            var dtype = model.Config.TorchDtype.ToString();
            ServerLog.Ready(
                logger, role, address, state.ServedModelName, dtype, model.Config.NumLayers,
                engine.ThreadCount, engine.KvCapacityTokens, engine.KvBlocksTotal, settings.MaxBatchSize, engine.MaxSeqLen);
            return new RunningWorker(app, model, disaggregation, new Uri(address));
        }
        catch
        {
            await model.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public static ILoggerFactory CreateLoggerFactory(LogLevel level) => LoggerFactory.Create(b => b
        .SetMinimumLevel(level)
        .AddFilter("Microsoft", LogLevel.Warning)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        }));

    private static WebApplication Build(ServerSettings settings, ServerState state, ILoggerFactory loggerFactory, ILogger logger)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            switch (settings.Host)
            {
                case "localhost" when settings.Port == 0:
                    kestrel.Listen(IPAddress.Loopback, 0); // Kestrel cannot pick a free port for both localhost addresses
                    break;
                case "localhost":
                    kestrel.ListenLocalhost(settings.Port);
                    break;
                case "0.0.0.0" or "*":
                    kestrel.ListenAnyIP(settings.Port);
                    break;
                default:
                    kestrel.Listen(IPAddress.Parse(settings.Host), settings.Port);
                    break;
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
#pragma warning disable CA1031 // a bug in one request answers 500 (no stack trace) and the server goes on
            catch (Exception ex)
#pragma warning restore CA1031
            {
                ServerLog.Unhandled(logger, ex, context.Request.Path);
                await HttpResponses.WriteErrorAsync(context.Response, ErrorResponse.ServerError()).ConfigureAwait(false);
            }
        });
        if (settings.ApiKey is { Length: > 0 } key)
        {
            app.Use(ApiKeyCheck.Middleware(key));
        }

        var generation = new GenerationEndpoint(state, logger);
        var info = new InfoEndpoints(state);
        app.MapPost("/v1/completions", generation.HandleCompletionAsync);
        app.MapPost("/v1/chat/completions", generation.HandleChatAsync);
        app.MapGet("/v1/models", info.ModelsAsync);
        app.MapGet("/health", info.HealthAsync);
        app.MapGet("/health_generate", info.HealthGenerateAsync);
        app.MapGet("/version", InfoEndpoints.VersionAsync);
        app.MapGet("/server_info", info.ServerInfoAsync);
        app.MapGet("/metrics", info.MetricsAsync);
        app.MapGet("/prometheus/metrics", info.MetricsAsync); // TensorRT-LLM's path for the same exposition
        app.MapGet("/perf_metrics", info.PerfMetricsAsync);
        app.MapGet("/steady_clock_offset", info.SteadyClockAsync);
        app.MapPost("/steady_clock_offset", info.SetSteadyClockOffsetAsync);
        app.MapPost("/kv_cache_events", info.KvCacheEventsAsync);
        app.MapPost("/kv_cache_release", new KvReleaseEndpoint(state).HandleAsync);
        app.MapFallback(context => HttpResponses.WriteErrorAsync(
            context.Response, ErrorResponse.NotFound($"No route {context.Request.Method} {context.Request.Path}.")));
        return app;
    }
}

/// <summary>A started worker server: its address and a way to stop it (engine included).</summary>
public sealed class RunningWorker : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly DisaggregationService _disaggregation;

    internal RunningWorker(WebApplication app, LocalModel model, DisaggregationService disaggregation, Uri address)
    {
        _app = app;
        _disaggregation = disaggregation;
        Model = model;
        Address = address;
    }

    public Uri Address { get; }

    public LocalModel Model { get; }

    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        await _disaggregation.DisposeAsync().ConfigureAwait(false);
        await Model.DisposeAsync().ConfigureAwait(false);
    }
}
