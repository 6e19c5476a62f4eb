using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Tandem.Contracts;
using Tandem.Engine.Execution;
using Tandem.Engine.Sampling;
using Tandem.Server.Http;
using Tandem.Server.Metrics;

namespace Tandem.Server.Endpoints;

/// <summary>The read-only endpoints: models, health, version, server info and metrics.</summary>
internal sealed class InfoEndpoints(ServerState state)
{
    public static string Version { get; } =
        typeof(InfoEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public Task ModelsAsync(HttpContext context) =>
        HttpResponses.WriteJsonAsync(
            context.Response,
            new ModelList { Data = [new ModelCard { Id = state.ServedModelName, Created = state.Created, OwnedBy = "tandem" }] },
            ContractsJsonContext.Default.ModelList);

    public Task HealthAsync(HttpContext context)
    {
        if (state.Model.Engine.IsRunning)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            return Task.CompletedTask;
        }

        return HttpResponses.WriteErrorAsync(context.Response, ErrorResponse.ServiceUnavailable("The engine is not running."));
    }

    /// <summary>Generates one token end to end; 200 when that works.</summary>
    public async Task HealthGenerateAsync(HttpContext context)
    {
        var model = state.Model;
        var prompt = model.Tokenizer.Encode("hi");
        var submitted = model.Engine.Submit(
            new EngineRequest { Id = "health-" + Guid.NewGuid().ToString("N"), PromptTokens = prompt, MaxTokens = 1, Sampling = new SamplingParams { Temperature = 0 } },
            context.RequestAborted);
        if (!submitted.Accepted)
        {
            await HttpResponses.WriteErrorAsync(context.Response, ErrorResponse.ServiceUnavailable($"Generation health check failed: {submitted.Message}")).ConfigureAwait(false);
            return;
        }

        await foreach (var e in submitted.Handle!.Events.ReadAllAsync(context.RequestAborted).ConfigureAwait(false))
        {
            if (e.IsFinal)
            {
                if (e.Finish is Engine.Execution.FinishReason.Length or Engine.Execution.FinishReason.Stop)
                {
                    context.Response.ContentType = "text/plain";
                    await context.Response.WriteAsync("Generation health check OK", context.RequestAborted).ConfigureAwait(false);
                }
                else
                {
                    await HttpResponses.WriteErrorAsync(context.Response, ErrorResponse.ServerError($"Generation health check failed: {e.Finish} {e.Message}")).ConfigureAwait(false);
                }

                return;
            }
        }
    }

    public static Task VersionAsync(HttpContext context) =>
        HttpResponses.WriteJsonAsync(context.Response, new VersionInfo(Version), ServerJsonContext.Default.VersionInfo);

    public async Task ServerInfoAsync(HttpContext context)
    {
        var engine = state.Model.Engine;
        var stats = await engine.GetStatsAsync().ConfigureAwait(false);
        var layout = engine.Layout;
        var c = state.Model.Config;
        var info = new ServerInfo(
            state.Settings.ServerRole.ToString().ToLowerInvariant(),
            state.ServedModelName,
            state.Model.Directory,
            c.TorchDtype.ToString().ToLowerInvariant(),
            c.VocabSize,
            new KvLayoutInfo(layout.ModelFingerprint, layout.Layers, layout.KvHeads, layout.HeadDim, layout.DType, layout.TokensPerBlock),
            new LimitsInfo(state.Settings.MaxBatchSize, state.Settings.MaxNumTokens, engine.MaxSeqLen, state.Settings.MaxWaitingRequests),
            new KvBlocksInfo(stats.KvBlocksTotal, stats.KvBlocksFree, stats.KvBlocksUsed, stats.KvBlocksCached, engine.KvCapacityTokens),
            new LoadInfo(stats.RunningRequests, stats.WaitingRequests, stats.HeldRequests),
            engine.ThreadCount,
            state.Disaggregation.TransferEndpoint,
            Version);
        await HttpResponses.WriteJsonAsync(context.Response, info, ServerJsonContext.Default.ServerInfo).ConfigureAwait(false);
    }

    public async Task MetricsAsync(HttpContext context)
    {
        var stats = await state.Model.Engine.GetStatsAsync().ConfigureAwait(false);
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await state.Metrics.WriteAsync(context.Response.Body, stats, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The finished requests kept since the last call (drained); [] unless return_perf_metrics and perf_metrics_max_requests are set.</summary>
    public Task PerfMetricsAsync(HttpContext context) =>
        HttpResponses.WriteJsonAsync(context.Response, state.PerfMetrics.Drain(), ServerJsonContext.Default.ListPerfMetricsItem);

    /// <summary>
    /// POST /kv_cache_events: the KV-cache events logged since the last call, oldest first, in TensorRT-LLM's JSON
    /// (<see cref="KvCacheEventsJson"/>), and gone afterwards; <c>[]</c> when <c>event_buffer_max_size</c> is 0.
    /// </summary>
    public async Task KvCacheEventsAsync(HttpContext context)
    {
        var engine = state.Model.Engine;
        var events = engine.KvCacheEvents?.Drain() ?? [];
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            KvCacheEventsJson.Write(writer, events, engine.MaxSeqLen);
        }

        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>GET /steady_clock_offset: the NTP-style reading the disaggregated server aligns its clock with.</summary>
    public Task SteadyClockAsync(HttpContext context)
    {
        var received = state.PerfMetrics.Now();
        return HttpResponses.WriteJsonAsync(context.Response, new SteadyClockReading(received, state.PerfMetrics.Now()), ServerJsonContext.Default.SteadyClockReading);
    }

    /// <summary>POST /steady_clock_offset <c>{"offset": seconds}</c>: added to every timestamp /perf_metrics reports from now on.</summary>
    public async Task SetSteadyClockOffsetAsync(HttpContext context)
    {
        var body = await HttpResponses.ReadBodyAsync(context.Request, 4096).ConfigureAwait(false);
        SteadyClockOffset? parsed = null;
        try
        {
            parsed = body is null ? null : JsonSerializer.Deserialize(body, ServerJsonContext.Default.SteadyClockOffset);
        }
        catch (JsonException)
        {
        }

        if (parsed?.Offset is not { } offset || !double.IsFinite(offset))
        {
            await HttpResponses.WriteErrorAsync(context.Response, ErrorResponse.InvalidRequest("The body must be a JSON object {\"offset\": <seconds>} with a finite number.")).ConfigureAwait(false);
            return;
        }

        state.PerfMetrics.Offset = offset;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("{}", context.RequestAborted).ConfigureAwait(false);
    }
}

internal sealed record VersionInfo(string Version);

internal sealed record ServerInfo(string Role, string Model, string ModelPath, string Dtype, int VocabSize, KvLayoutInfo KvCacheLayout, LimitsInfo Limits, KvBlocksInfo KvBlocks, LoadInfo Load, int Threads, string? KvTransferEndpoint, string Version);

internal sealed record KvLayoutInfo(string ModelFingerprint, int Layers, int KvHeads, int HeadDim, string Dtype, int TokensPerBlock);

internal sealed record LimitsInfo(int MaxBatchSize, int MaxNumTokens, int MaxSeqLen, int MaxWaitingRequests);

/// <summary>KV blocks: <see cref="Free"/> includes <see cref="Cached"/> (ended requests' blocks kept for block reuse until needed).</summary>
internal sealed record KvBlocksInfo(int Total, int Free, int Used, int Cached, long CapacityTokens);

internal sealed record LoadInfo(int Running, int Waiting, int HeldForTransfer);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(VersionInfo))]
[JsonSerializable(typeof(ServerInfo))]
[JsonSerializable(typeof(List<PerfMetricsItem>))]
[JsonSerializable(typeof(SteadyClockReading))]
[JsonSerializable(typeof(SteadyClockOffset))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;
