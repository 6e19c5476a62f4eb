using Microsoft.AspNetCore.Http;
using Tandem.Contracts;

namespace Tandem.Server.Http;

/// <summary>With <c>--api_key</c> set, every <c>/v1/</c> request must carry <c>Authorization: Bearer KEY</c>; health and metrics stay open.</summary>
internal static class ApiKeyCheck
{
    public static Func<HttpContext, RequestDelegate, Task> Middleware(string apiKey) => async (context, next) =>
    {
        if (context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal))
        {
            var header = context.Request.Headers.Authorization.ToString();
            var expected = "Bearer " + apiKey;
            if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.UTF8.GetBytes(header), System.Text.Encoding.UTF8.GetBytes(expected)))
            {
                var message = header.Length == 0
                    ? "Missing API key: send 'Authorization: Bearer <key>'."
                    : "Incorrect API key provided.";
                await HttpResponses.WriteErrorAsync(context.Response, ErrorResponse.Authentication(message)).ConfigureAwait(false);
                return;
            }
        }

        await next(context).ConfigureAwait(false);
    };
}
