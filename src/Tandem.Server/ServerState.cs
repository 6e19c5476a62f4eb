using Tandem.Engine.Runtime;
using Tandem.Server.Configuration;
using Tandem.Server.Metrics;

namespace Tandem.Server;

/// <summary>What every endpoint of one worker shares: the model and its engine, the settings, the metrics.</summary>
internal sealed class ServerState
{
    public ServerState(LocalModel model, ServerSettings settings, TimeProvider time)
    {
        Model = model;
        Settings = settings;
        Time = time;
        ServedModelName = settings.ServedModelName ?? settings.Model;
        DirectoryName = Path.GetFileName(model.Directory.TrimEnd('/'));
        Created = time.GetUtcNow().ToUnixTimeSeconds();
        PerfMetrics = new PerfMetricsStore(settings.ReturnPerfMetrics ? settings.PerfMetricsMaxRequests : 0, time);
    }

    public LocalModel Model { get; }

    public ServerSettings Settings { get; }

    public TimeProvider Time { get; }

    public ServerMetrics Metrics { get; } = new();

    /// <summary>Finished requests' timings for <c>GET /perf_metrics</c> (keeps none unless return_perf_metrics and perf_metrics_max_requests are set).</summary>
    public PerfMetricsStore PerfMetrics { get; }

    /// <summary>Set once at startup, before the first request.</summary>
    public Disaggregation.DisaggregationService Disaggregation { get; set; } = null!;

    /// <summary>The name clients use in <c>model</c>: --served_model_name, else the model argument as given.</summary>
    public string ServedModelName { get; }

    public string DirectoryName { get; }

    public long Created { get; }

    /// <summary>A request's <c>model</c> may be the served name or the model directory's name.</summary>
    public bool Serves(string model) =>
        string.Equals(model, ServedModelName, StringComparison.Ordinal) || string.Equals(model, DirectoryName, StringComparison.Ordinal)
        || string.Equals(model, Model.Directory, StringComparison.Ordinal);
}
