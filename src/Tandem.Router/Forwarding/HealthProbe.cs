using Tandem.Router.State;

namespace Tandem.Router.Forwarding;

/// <summary>Asks servers' <c>/health</c> at once; 200 is healthy, anything else (or no answer in time) is not, with why.</summary>
internal static class HealthProbe
{
    public static async Task<IReadOnlyList<(UpstreamServer Server, string? Failure)>> ProbeAsync(
        HttpClient http, IEnumerable<UpstreamServer> servers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var probes = servers.Select(async server => (server, await ProbeOneAsync(http, server, timeout, cancellationToken).ConfigureAwait(false)));
        return await Task.WhenAll(probes).ConfigureAwait(false);
    }

    private static async Task<string?> ProbeOneAsync(HttpClient http, UpstreamServer server, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(timeout);
        try
        {
            using var response = await http.GetAsync(new Uri(server.Url, "health"), bound.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                server.MarkUnavailable(DateTimeOffset.MinValue);
                return null;
            }

            return $"/health answered {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"/health did not answer within {timeout.TotalSeconds:0.###} s";
        }
        catch (HttpRequestException e)
        {
            return UpstreamClient.Reason(e);
        }
    }
}
