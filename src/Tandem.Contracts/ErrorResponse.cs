using System.Text.Json.Serialization;

namespace Tandem.Contracts;

/// <summary>OpenAI's error body, <c>{"error": {...}}</c>, with the HTTP status it goes out with (not serialized).</summary>
public sealed record ErrorResponse
{
    public required ErrorDetail Error { get; init; }

    [JsonIgnore]
    public int StatusCode { get; init; }

    public static ErrorResponse InvalidRequest(string message, string? param = null, string? code = null) =>
        Create(400, message, "invalid_request_error", param, code);

    public static ErrorResponse Authentication(string message = "Incorrect API key provided.") =>
        Create(401, message, "authentication_error", null, "invalid_api_key");

    public static ErrorResponse PermissionDenied(string message, string? param = null) =>
        Create(403, message, "permission_error", param, null);

    public static ErrorResponse ModelNotFound(string model) =>
        Create(404, $"The model '{model}' does not exist.", "not_found_error", "model", "model_not_found");

    public static ErrorResponse NotFound(string message) =>
        Create(404, message, "not_found_error", null, null);

    public static ErrorResponse RateLimited(string message) =>
        Create(429, message, "rate_limit_error", null, "rate_limit_exceeded");

    /// <summary>A bug: say what failed, never how (no stack trace).</summary>
    public static ErrorResponse ServerError(string message = "The server had an error while processing your request.") =>
        Create(500, message, "server_error", null, null);

    /// <summary>The router's upstream (a context or generation server) failed or answered badly.</summary>
    public static ErrorResponse BadGateway(string message) =>
        Create(502, message, "server_error", null, "upstream_error");

    public static ErrorResponse ServiceUnavailable(string message) =>
        Create(503, message, "server_error", null, "service_unavailable");

    public static ErrorResponse GatewayTimeout(string message) =>
        Create(504, message, "server_error", null, "upstream_timeout");

    private static ErrorResponse Create(int status, string message, string type, string? param, string? code) => new()
    {
        StatusCode = status,
        Error = new ErrorDetail { Message = message, Type = type, Param = param, Code = code },
    };
}

public sealed record ErrorDetail
{
    public required string Message { get; init; }

    public required string Type { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Param { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Code { get; init; }
}
