using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tandem.Router.Forwarding;
using Tandem.Router.State;

namespace Tandem.Router.Metrics;

/// <summary>
/// Puts a worker's <c>/perf_metrics</c> times on the router's steady clock before each fetch: <see cref="Exchanges"/> times
/// <c>GET /steady_clock_offset</c> gives the worker's receive and transmit times, the router measures its own send and
/// receive times around each (<see cref="ClockSample"/>) and keeps the exchange with the shortest delay (a first exchange
/// that opens a connection or meets a cold handler is lopsided, and its offset off by up to half its delay); then
/// <c>POST /steady_clock_offset {"offset": -offset}</c> makes the worker shift every time it reports. Aligning before every
/// fetch, not once, also covers a worker that restarted (and forgot its offset). A failed alignment is logged, and that
/// worker is tried again on the next call.
/// </summary>
internal sealed class WorkerClocks(HttpClient http, TimeProvider time, TimeSpan timeout, ILogger logger)
{
    public const string Path = "steady_clock_offset";

    /// <summary>Clock reads per alignment; the one with the shortest round trip gives the offset.</summary>
    public const int Exchanges = 5;

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HashSet<UpstreamServer> _aligned = [];
    private readonly Lock _lock = new();

    /// <summary>True when the worker's clock is now aligned; false, logged, when this try failed.</summary>
    public async Task<bool> AlignAsync(UpstreamServer server, CancellationToken cancellationToken)
    {
        using var expiry = new CancellationTokenSource(timeout, time);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, expiry.Token);
        string? problem;
        try
        {
            var (sample, measureProblem) = await MeasureBestAsync(server, bound.Token).ConfigureAwait(false);
            problem = measureProblem ?? await SendOffsetAsync(server, -sample.Offset, bound.Token).ConfigureAwait(false);
            if (problem is null)
            {
                bool first;
                lock (_lock)
                {
                    first = _aligned.Add(server);
                }

                if (first)
                {
                    RouterLog.ClockAligned(logger, server.Name, sample.Offset, sample.Delay);
                }
                else
                {
                    RouterLog.ClockRealigned(logger, server.Name, sample.Offset, sample.Delay);
                }

                return true;
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

        RouterLog.ClockAlignFailed(logger, server.Name, problem);
        return false;
    }

    /// <summary>The exchange with the shortest delay of <see cref="Exchanges"/>, or the first problem met.</summary>
    private async Task<(ClockSample Sample, string? Problem)> MeasureBestAsync(UpstreamServer server, CancellationToken cancellationToken)
    {
        ClockSample best = default;
        for (var i = 0; i < Exchanges; i++)
        {
            var (sample, problem) = await MeasureAsync(server, cancellationToken).ConfigureAwait(false);
            if (problem is not null)
            {
                return (default, problem);
            }

            if (i == 0 || sample.Delay < best.Delay)
            {
                best = sample;
            }
        }

        return (best, null);
    }

    private async Task<(ClockSample Sample, string? Problem)> MeasureAsync(UpstreamServer server, CancellationToken cancellationToken)
    {
        var sent = time.NowSeconds();
        using var response = await http.GetAsync(new Uri(server.Url, Path), cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var received = time.NowSeconds();
        if (!response.IsSuccessStatusCode)
        {
            return (default, $"GET /{Path} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("receive_ts", out var receive) && receive.ValueKind == JsonValueKind.Number && receive.TryGetDouble(out var workerReceived)
                && root.TryGetProperty("transmit_ts", out var transmit) && transmit.ValueKind == JsonValueKind.Number && transmit.TryGetDouble(out var workerSent))
            {
                return (new ClockSample(sent, workerReceived, workerSent, received), null);
            }
        }
        catch (JsonException)
        {
        }

        return (default, $"GET /{Path} did not answer {{\"receive_ts\": seconds, \"transmit_ts\": seconds}}");
    }

    /// <summary>Null when the worker took the offset, else what went wrong.</summary>
    private async Task<string?> SendOffsetAsync(UpstreamServer server, double offset, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $$"""{"offset":{{offset:R}}}"""));
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = Json;
        using var response = await http.PostAsync(new Uri(server.Url, Path), content, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode ? null : $"POST /{Path} answered {(int)response.StatusCode} {response.ReasonPhrase}";
    }
}
