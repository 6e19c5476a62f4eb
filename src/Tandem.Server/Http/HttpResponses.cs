using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Tandem.Contracts;

namespace Tandem.Server.Http;

/// <summary>Writes JSON bodies and OpenAI error objects with the source-generated contracts.</summary>
internal static class HttpResponses
{
    public static async Task WriteJsonAsync<T>(HttpResponse response, T value, JsonTypeInfo<T> typeInfo, int status = StatusCodes.Status200OK)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        await System.Text.Json.JsonSerializer.SerializeAsync(response.Body, value, typeInfo, response.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    public static Task WriteErrorAsync(HttpResponse response, ErrorResponse error, TimeSpan? retryAfter = null)
    {
        if (response.HasStarted)
        {
            return Task.CompletedTask;
        }

        if (retryAfter is { } delay)
        {
            response.Headers.RetryAfter = ((int)Math.Ceiling(delay.TotalSeconds)).ToString();
        }

        return WriteJsonAsync(response, error, ContractsJsonContext.Default.ErrorResponse, error.StatusCode);
    }

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
