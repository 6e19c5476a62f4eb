using Tandem.Router.Configuration;
using Tandem.Router.Forwarding;
using Tandem.Router.Metrics;
using Tandem.Router.State;

namespace Tandem.Router;

/// <summary>Everything a running router shares across requests: its config and options (fixed), the cluster's state and metrics.</summary>
internal sealed class RouterState(RouterConfig config, RouterOptions options, HttpClient http, TimeProvider time)
{
    private volatile bool _ready;

    public RouterConfig Config { get; } = config;

    public RouterOptions Options { get; } = options;

    public Cluster Cluster { get; } = new(config);

    public RouterMetrics Metrics { get; } = new();

    /// <summary>The records <c>/perf_metrics</c> joins with the workers' items; null when <c>perf_metrics_max_requests</c> is 0.</summary>
    public PerfMetricsRecords? PerfRecords { get; } = config.PerfMetricsMaxRequests > 0 ? new PerfMetricsRecords(config.PerfMetricsMaxRequests) : null;

    public HttpClient Http { get; } = http;

    public UpstreamClient Upstream { get; } = new(http, options.RequestTimeout, time);

    public TimeProvider Time { get; } = time;

    /// <summary>Set once every server answered its first health probe; until then requests get 503.</summary>
    public bool Ready
    {
        get => _ready;
        set => _ready = value;
    }
}
