using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Tandem.Contracts;
using Tandem.Server.Http;
using Tandem.Transfer;

namespace Tandem.Server.Endpoints;

/// <summary>
/// <c>POST /kv_cache_release</c> on a context server: <c>{"disaggregated_params": {..., "encoded_opaque_state": S}}</c>,
/// the parameters of a context-only answer, frees that request's held KV blocks now instead of at the end of their
/// lease (<c>kv_transfer_timeout_ms</c>). The router sends it when a request's generation leg will not come. Answers
/// <c>{"released": true|false, "reason": ...}</c>; false (still 200) when nothing is held under that state any more,
/// so a release is safe to repeat; 400 for a body that is not such parameters, 403 for a wrong secret.
/// </summary>
internal sealed class KvReleaseEndpoint(ServerState state)
{
    private const int MaxBodyBytes = 64 << 10;

    public async Task HandleAsync(HttpContext context)
    {
        var body = await HttpResponses.ReadBodyAsync(context.Request, MaxBodyBytes).ConfigureAwait(false);
        if (body is null)
        {
            await HttpResponses.WriteErrorAsync(context.Response, ErrorResponse.InvalidRequest($"The request body is larger than {MaxBodyBytes >> 10} KiB.")).ConfigureAwait(false);
            return;
        }

        if (!TryReadState(body, out var encoded))
        {
            await HttpResponses.WriteErrorAsync(
                context.Response,
                ErrorResponse.InvalidRequest("The body must be a JSON object {\"disaggregated_params\": {\"encoded_opaque_state\": \"...\"}} as a context server answered.", "disaggregated_params.encoded_opaque_state")).ConfigureAwait(false);
            return;
        }

        var (result, error) = await state.Disaggregation.ReleaseAsync(encoded).ConfigureAwait(false);
        if (error is not null)
        {
            await HttpResponses.WriteErrorAsync(context.Response, error).ConfigureAwait(false);
            return;
        }

        context.Response.ContentType = "application/json";
        var answer = new JsonObject { ["released"] = result!.Value.Outcome == KvReleaseOutcome.Released, ["reason"] = result.Value.Reason };
        await context.Response.WriteAsync(answer.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    private static bool TryReadState(byte[] body, out string? encoded)
    {
        encoded = null;
        try
        {
            if (JsonNode.Parse(body) is JsonObject root
                && root["disaggregated_params"] is JsonObject parameters
                && parameters["encoded_opaque_state"] is JsonValue value
                && value.GetValueKind() == JsonValueKind.String)
            {
                encoded = value.GetValue<string>();
                return true;
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }
}
