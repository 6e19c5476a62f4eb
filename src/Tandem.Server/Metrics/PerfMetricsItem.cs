using System.Text.Json.Serialization;

namespace Tandem.Server.Metrics;

/// <summary>
/// One finished request in <c>GET /perf_metrics</c>, in TensorRT-LLM's shape (snake_case on the wire).
/// Times are steady-clock seconds, plus the offset the disaggregated server set through
/// <c>POST /steady_clock_offset</c>; null where the moment never came (a generation-only request that
/// ended on its given first token was never scheduled).
/// </summary>
internal sealed record PerfMetricsItem(string RequestId, long? CtxRequestId, RequestPerfMetrics PerfMetrics);

internal sealed record RequestPerfMetrics(long FirstIter, long LastIter, TimingMetrics TimingMetrics, KvCacheMetrics KvCacheMetrics);

/// <summary>The server's and the engine's moments of one request; the KV transfer's on generation-only legs.</summary>
internal sealed record TimingMetrics(
    double ServerArrivalTime,
    double? ArrivalTime,
    double? FirstScheduledTime,
    double? FirstTokenTime,
    double? ServerFirstTokenTime,
    double? LastTokenTime)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? KvCacheSize { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? KvCacheTransferStart { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? KvCacheTransferEnd { get; init; }
}

/// <summary>KV blocks of one request: all it held, the newly computed ones, and those taken from the block-reuse cache.</summary>
internal sealed record KvCacheMetrics(int NumTotalAllocatedBlocks, int NumNewAllocatedBlocks, int NumReusedBlocks, int NumMissedBlocks);

/// <summary><c>GET /steady_clock_offset</c>: when the request arrived and when the answer left, in steady-clock seconds.</summary>
internal sealed record SteadyClockReading(double ReceiveTs, double TransmitTs);

/// <summary><c>POST /steady_clock_offset</c>: seconds added to every timestamp reported afterwards.</summary>
internal sealed record SteadyClockOffset(double? Offset);
