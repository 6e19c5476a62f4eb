using System.Buffers;
using System.Text.Json;

namespace Tandem.Router.Metrics;

/// <summary>One <c>/perf_metrics</c> item: the router's record with its workers' items, passed through as they came.</summary>
internal sealed record JoinedPerfMetrics(PerfRecord Record, JsonElement? Context, JsonElement Generation);

/// <summary>
/// Joins the router's records with the items its workers handed out (reference §8). Worker items are indexed per server
/// by <c>ctx_request_id</c> and kept until used or pushed out; a record comes out once its generation server's item is
/// there (the context item is added when there, else null), and the items used go with it. A record whose generation
/// item has not come yet stays for a later call. Not thread-safe: <see cref="PerfMetricsCollector"/> calls it one call at a time.
/// </summary>
internal sealed class PerfMetricsJoin(int perServerCapacity)
{
    private readonly Dictionary<string, WorkerPerfIndex> _byServer = [];

    /// <summary>Indexes a worker's <c>/perf_metrics</c> array; items without an integer <c>ctx_request_id</c> are skipped. Returns how many were kept.</summary>
    public int Add(string server, JsonElement items)
    {
        if (items.ValueKind != JsonValueKind.Array)
        {
            throw new ArgumentException("a worker's /perf_metrics answer is a JSON array", nameof(items));
        }

        var index = IndexOf(server);
        var kept = 0;
        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object
                && item.TryGetProperty("ctx_request_id", out var id)
                && id.ValueKind == JsonValueKind.Number
                && id.TryGetInt64(out var ctxRequestId))
            {
                index.Add(ctxRequestId, item.Clone());
                kept++;
            }
        }

        return kept;
    }

    /// <summary>Takes every record whose generation item is indexed, with its items; the rest stay in <paramref name="records"/>.</summary>
    public List<JoinedPerfMetrics> Join(PerfMetricsRecords records)
    {
        var joined = new List<JoinedPerfMetrics>();
        records.TakeWhere(record =>
        {
            if (!_byServer.TryGetValue(record.GenerationServer, out var generation) || !generation.Remove(record.CtxRequestId, out var generationItem))
            {
                return false;
            }

            JsonElement? contextItem = _byServer.TryGetValue(record.ContextServer, out var context) && context.Remove(record.CtxRequestId, out var item) ? item : null;
            joined.Add(new JoinedPerfMetrics(record, contextItem, generationItem));
            return true;
        });
        return joined;
    }

    /// <summary>The <c>/perf_metrics</c> body: a JSON array of joined items.</summary>
    public static byte[] ToJson(IReadOnlyList<JoinedPerfMetrics> items)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (items.Count * 1024));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var (record, context, generation) in items)
            {
                writer.WriteStartObject();
                writer.WriteString("ctx_server", record.ContextServer);
                writer.WriteString("gen_server", record.GenerationServer);
                writer.WriteNumber("disagg_server_arrival_time", record.ArrivalTime);
                writer.WriteNumber("disagg_server_first_token_time", record.FirstTokenTime);
                writer.WritePropertyName("ctx_perf_metrics");
                if (context is { } contextItem)
                {
                    contextItem.WriteTo(writer);
                }
                else
                {
                    writer.WriteNullValue();
                }

                writer.WritePropertyName("gen_perf_metrics");
                generation.WriteTo(writer);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private WorkerPerfIndex IndexOf(string server)
    {
        if (!_byServer.TryGetValue(server, out var index))
        {
            _byServer[server] = index = new WorkerPerfIndex(perServerCapacity);
        }

        return index;
    }
}
