using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tandem.Router.Tests.Fakes;

/// <summary>How a fake worker's <c>/perf_metrics</c> misbehaves.</summary>
public enum PerfMetricsFault
{
    None,
    Status500,
    Garbage,
    Hang,
}

/// <summary>
/// A fake worker's <c>/perf_metrics</c> (an item per request it served, handed out once) and <c>/steady_clock_offset</c>.
/// Its steady clock is the test's <see cref="TimeProvider"/> plus <see cref="Skew"/>; the offset the router POSTs is added
/// to every time it reports afterwards, as a worker does.
/// </summary>
public sealed class FakePerfMetrics(TimeProvider clock)
{
    private readonly ConcurrentQueue<ServedRequest> _items = new();
    private double _offset;
    private int _fetches;
    private int _clockReads;

    /// <summary>Seconds this worker's steady clock is ahead of the test's.</summary>
    public double Skew { get; set; }

    /// <summary>While true, <c>/perf_metrics</c> answers <c>[]</c> and keeps its items (metrics not ready yet).</summary>
    public bool Hold { get; set; }

    public PerfMetricsFault Fault { get; set; }

    /// <summary>When set, <c>GET /steady_clock_offset</c> answers 500.</summary>
    public bool FailClock { get; set; }

    /// <summary>Runs before the first <c>GET /steady_clock_offset</c> reads the clock (say, advances a fake clock: a lopsided first exchange).</summary>
    public Action? BeforeFirstClockRead { get; set; }

    public int Fetches => _fetches;

    public int ClockReads => _clockReads;

    /// <summary>Every offset POSTed to <c>/steady_clock_offset</c>.</summary>
    public ConcurrentQueue<double> ReceivedOffsets { get; } = new();

    public int Queued => _items.Count;

    /// <summary>This worker's steady clock, without the offset (what <c>GET /steady_clock_offset</c> reports).</summary>
    public double RawNow => (clock.GetTimestamp() / (double)clock.TimestampFrequency) + Skew;

    /// <summary>The times it reports in <c>/perf_metrics</c>: its clock shifted by the offset it was sent.</summary>
    public double ReportedNow => RawNow + Volatile.Read(ref _offset);

    public void Map(WebApplication app)
    {
        app.MapGet("/perf_metrics", FetchAsync);
        app.MapGet("/steady_clock_offset", context =>
        {
            if (Interlocked.Increment(ref _clockReads) == 1)
            {
                BeforeFirstClockRead?.Invoke();
            }

            if (FailClock)
            {
                context.Response.StatusCode = 500;
                return Task.CompletedTask;
            }

            var received = RawNow;
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync(new JsonObject { ["receive_ts"] = received, ["transmit_ts"] = RawNow }.ToJsonString(), context.RequestAborted);
        });
        app.MapPost("/steady_clock_offset", async context =>
        {
            var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            var offset = body!["offset"]!.GetValue<double>();
            ReceivedOffsets.Enqueue(offset);
            Volatile.Write(ref _offset, offset);
            await context.Response.WriteAsync("{}", context.RequestAborted);
        });
    }

    /// <summary>Queues the item for a request served now; <paramref name="ctxRequestId"/> null for one without a context leg.</summary>
    public void Served(string requestId, long? ctxRequestId, bool generationOnly) =>
        _items.Enqueue(new ServedRequest(requestId, ctxRequestId, generationOnly, RawNow));

    /// <summary>A served request's item, its times shifted by the offset this worker has now (as a worker shifts them when it reports).</summary>
    private JsonObject Item(ServedRequest served)
    {
        var at = served.RawTime + Volatile.Read(ref _offset);
        var timing = new JsonObject
        {
            ["server_arrival_time"] = at - 0.010,
            ["arrival_time"] = at - 0.009,
            ["first_scheduled_time"] = at - 0.008,
            ["first_token_time"] = at - 0.002,
            ["server_first_token_time"] = at - 0.001,
            ["last_token_time"] = at,
        };
        if (served.GenerationOnly)
        {
            timing["kv_cache_size"] = 4096;
            timing["kv_cache_transfer_start"] = at - 0.007;
            timing["kv_cache_transfer_end"] = at - 0.006;
        }

        return new JsonObject
        {
            ["request_id"] = served.RequestId,
            ["ctx_request_id"] = served.CtxRequestId,
            ["perf_metrics"] = new JsonObject
            {
                ["first_iter"] = 3,
                ["last_iter"] = 9,
                ["timing_metrics"] = timing,
                ["kv_cache_metrics"] = new JsonObject { ["num_total_allocated_blocks"] = 2, ["num_new_allocated_blocks"] = 2, ["num_reused_blocks"] = 0, ["num_missed_blocks"] = 0 },
            },
        };
    }

    private async Task FetchAsync(HttpContext context)
    {
        Interlocked.Increment(ref _fetches);
        switch (Fault)
        {
            case PerfMetricsFault.Status500:
                context.Response.StatusCode = 500;
                await context.Response.WriteAsync("""{"error":{"message":"boom"}}""", context.RequestAborted);
                return;
            case PerfMetricsFault.Hang:
                try
                {
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                }

                return;
            case PerfMetricsFault.Garbage:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("[{\"request_id\": \"cmpl-", context.RequestAborted);
                return;
        }

        var drained = new JsonArray();
        while (!Hold && _items.TryDequeue(out var served))
        {
            drained.Add(Item(served));
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(drained.ToJsonString(), context.RequestAborted);
    }

    private sealed record ServedRequest(string RequestId, long? CtxRequestId, bool GenerationOnly, double RawTime);
}
