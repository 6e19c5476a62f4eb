namespace Tandem.Router.Forwarding;

/// <summary>
/// One upstream call with response headers received. It owns the response and the tokens that bound the whole call
/// (client disconnect or <c>--request_timeout</c>); disposing it closes the connection if the body was not read to the end,
/// which is how the worker learns that the request is abandoned.
/// </summary>
internal sealed class UpstreamCall(HttpResponseMessage response, CancellationTokenSource timeout, CancellationTokenSource bound) : IDisposable
{
    public HttpResponseMessage Response { get; } = response;

    /// <summary>Fires on client disconnect or timeout; pass it to every read of the body.</summary>
    public CancellationToken Token => bound.Token;

    public bool TimedOut => timeout.IsCancellationRequested;

    public void Dispose()
    {
        Response.Dispose();
        bound.Dispose();
        timeout.Dispose();
    }
}
