using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Tandem.Contracts;
using Tandem.Router.Forwarding;

namespace Tandem.Router.Endpoints;

/// <summary>Writes JSON bodies and OpenAI error objects; reads request bodies up to a limit.</summary>
internal static class JsonResponses
{
    public static async Task WriteAsync<T>(HttpResponse response, T value, JsonTypeInfo<T> typeInfo, int status = StatusCodes.Status200OK)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await System.Text.Json.JsonSerializer.SerializeAsync(response.Body, value, typeInfo, response.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    public static async Task WriteAsync(HttpResponse response, JsonNode value, int status = StatusCodes.Status200OK)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await response.Body.WriteAsync(LegRequests.ToUtf8(value), response.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    public static Task WriteErrorAsync(HttpResponse response, ErrorResponse error) =>
        response.HasStarted ? Task.CompletedTask : WriteAsync(response, error, ContractsJsonContext.Default.ErrorResponse, error.StatusCode);

    public static async Task<byte[]?> ReadBodyAsync(HttpRequest request, long limit)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
