using System.Net.Http.Headers;
using Tandem.Router.State;

namespace Tandem.Router.Forwarding;

/// <summary>Posts JSON to a worker and waits for the response headers; failures come back as values.</summary>
internal sealed class UpstreamClient(HttpClient http, TimeSpan requestTimeout, TimeProvider time)
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public TimeSpan RequestTimeout => requestTimeout;

    public async Task<(UpstreamCall? Call, UpstreamFailure? Failure)> PostAsync(UpstreamServer server, string path, byte[] body, CancellationToken clientAborted)
    {
        var timeout = new CancellationTokenSource(requestTimeout, time);
        var bound = CancellationTokenSource.CreateLinkedTokenSource(clientAborted, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Url, path)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        UpstreamFailure failure;
        try
        {
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, bound.Token).ConfigureAwait(false);
            return (new UpstreamCall(response, timeout, bound), null);
        }
        catch (OperationCanceledException) when (clientAborted.IsCancellationRequested)
        {
            failure = new UpstreamFailure(UpstreamFailureKind.ClientGone, "the client went away");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            failure = TimeoutFailure(server, path);
        }
        catch (HttpRequestException e)
        {
            failure = new UpstreamFailure(UpstreamFailureKind.Connection, $"cannot reach {server.Name} ({path}): {Reason(e)}");
        }

        bound.Dispose();
        timeout.Dispose();
        return (null, failure);
    }

    public UpstreamFailure TimeoutFailure(UpstreamServer server, string path) =>
        new(UpstreamFailureKind.Timeout, $"{server.Name} did not answer {path} within the request timeout of {requestTimeout.TotalSeconds:0.###} s");

    /// <summary>The exception's message and, when different, its innermost cause (e.g. "Connection refused").</summary>
    public static string Reason(Exception e)
    {
        var innermost = e;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        return innermost == e || e.Message.Contains(innermost.Message, StringComparison.Ordinal) ? e.Message : $"{e.Message} ({innermost.Message})";
    }
}
