using System.Text.Json;

namespace Tandem.Contracts.Tests;

public class ErrorResponseTests
{
    public static TheoryData<ErrorResponse, int, string> Kinds => new()
    {
        { ErrorResponse.InvalidRequest("Invalid type for 'n': expected an integer.", "n"), 400, """{"error":{"message":"Invalid type for \u0027n\u0027: expected an integer.","type":"invalid_request_error","param":"n","code":null}}""" },
        { ErrorResponse.Authentication(), 401, """{"error":{"message":"Incorrect API key provided.","type":"authentication_error","param":null,"code":"invalid_api_key"}}""" },
        { ErrorResponse.ModelNotFound("gpt-9"), 404, """{"error":{"message":"The model \u0027gpt-9\u0027 does not exist.","type":"not_found_error","param":"model","code":"model_not_found"}}""" },
        { ErrorResponse.RateLimited("The waiting queue is full (64 requests)."), 429, """{"error":{"message":"The waiting queue is full (64 requests).","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}""" },
        { ErrorResponse.ServerError(), 500, """{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}""" },
        { ErrorResponse.BadGateway("The context server 127.0.0.1:8001 refused the connection."), 502, """{"error":{"message":"The context server 127.0.0.1:8001 refused the connection.","type":"server_error","param":null,"code":"upstream_error"}}""" },
        { ErrorResponse.ServiceUnavailable("No generation server is healthy."), 503, """{"error":{"message":"No generation server is healthy.","type":"server_error","param":null,"code":"service_unavailable"}}""" },
        { ErrorResponse.GatewayTimeout("The generation server did not answer within 180 s."), 504, """{"error":{"message":"The generation server did not answer within 180 s.","type":"server_error","param":null,"code":"upstream_timeout"}}""" },
    };

    /// <summary>The default encoder escapes quotes and non-ASCII text (as Python's json.dumps does); clients read it back unchanged.</summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public void Each_kind_has_its_status_and_openai_shape(ErrorResponse response, int status, string json)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(json, JsonSerializer.Serialize(response, ContractsJsonContext.Default.ErrorResponse));
        Assert.Equal(response.Error, JsonSerializer.Deserialize(json, ContractsJsonContext.Default.ErrorResponse)!.Error);
    }
}
