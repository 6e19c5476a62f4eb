using Tandem.Contracts;

namespace Tandem.Router.Forwarding;

/// <summary>Why an upstream call gave no usable answer (an expected failure, as a value).</summary>
internal enum UpstreamFailureKind
{
    /// <summary>No connection, or it broke before the response headers: retried on another server.</summary>
    Connection,

    /// <summary><c>--request_timeout</c> passed.</summary>
    Timeout,

    /// <summary>The answer was not what the protocol says (bad JSON, missing fields, a 5xx).</summary>
    BadResponse,

    /// <summary>The client went away; nothing is answered.</summary>
    ClientGone,
}

internal sealed record UpstreamFailure(UpstreamFailureKind Kind, string Message)
{
    public string MetricReason => Kind switch
    {
        UpstreamFailureKind.Connection => "connection",
        UpstreamFailureKind.Timeout => "timeout",
        _ => "bad_response",
    };

    public ErrorResponse ToErrorResponse() => Kind switch
    {
        UpstreamFailureKind.Timeout => ErrorResponse.GatewayTimeout(Message),
        _ => ErrorResponse.BadGateway(Message),
    };
}
