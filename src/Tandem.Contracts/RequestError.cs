namespace Tandem.Contracts;

/// <summary>Why a request body was refused; <see cref="Param"/> is the JSON path of the offending field, e.g. <c>messages[0].content</c>.</summary>
public sealed record RequestError(string Message, string? Param)
{
    public ErrorResponse ToErrorResponse() => ErrorResponse.InvalidRequest(Message, Param);
}
