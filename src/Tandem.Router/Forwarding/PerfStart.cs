namespace Tandem.Router.Forwarding;

/// <summary>What the context leg tells <c>/perf_metrics</c>: its server, its <c>ctx_request_id</c>, and when the client's request came.</summary>
internal sealed record PerfStart(string ContextServer, long CtxRequestId, long ArrivalTimestamp);
