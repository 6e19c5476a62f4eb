using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Tandem.Router.State;

namespace Tandem.Router.Forwarding;

/// <summary>
/// Asks a context server to free a request's held KV blocks (<c>POST /kv_cache_release</c> with the context answer's
/// <c>disaggregated_params</c>) when its generation leg did not complete: the client left between or during the legs,
/// or the generation server failed or could not be reached. Without it the blocks wait out their lease
/// (<c>kv_transfer_timeout_ms</c>, 60 s by default), and a burst of such requests fills the context server's pool.
/// Sent in the background, after the client's answer, within <see cref="Timeout"/>; a release that comes after the
/// generation server pulled the blocks is answered "not held" and changes nothing. A context server without the
/// endpoint (404) is left to its lease.
/// </summary>
internal sealed class ContextRelease(RouterState state, ILogger logger)
{
    public const string Path = "/kv_cache_release";

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>Starts the release for <paramref name="answer"/>'s request on <paramref name="server"/>; returns at once.</summary>
    public void Start(UpstreamServer server, ContextAnswer answer)
    {
        if (answer.Params["encoded_opaque_state"] is not JsonValue opaque || opaque.GetValueKind() != JsonValueKind.String)
        {
            return;
        }

        var body = LegRequests.ToUtf8(new JsonObject { ["disaggregated_params"] = answer.Params.DeepClone() });
        _ = Task.Run(() => RunAsync(server, body, answer.CtxRequestId));
    }

    private async Task RunAsync(UpstreamServer server, byte[] body, long? ctxRequestId)
    {
        string result;
        try
        {
            using var timeout = new CancellationTokenSource(Timeout, state.Time);
            var (call, failure) = await state.Upstream.PostAsync(server, Path, body, timeout.Token).ConfigureAwait(false);
            using (call)
            {
                result = call is null ? Failed(server, ctxRequestId, failure!.Message) : await ReadAsync(call).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // a release is best effort: the lease frees the blocks anyway; never an unobserved exception
        catch (Exception e)
#pragma warning restore CA1031
        {
            result = Failed(server, ctxRequestId, e.Message);
        }

        state.Metrics.KvRelease(result);
        RouterLog.KvRelease(logger, server.Name, ctxRequestId, result);
    }

    private string Failed(UpstreamServer server, long? ctxRequestId, string reason)
    {
        RouterLog.KvReleaseFailed(logger, server.Name, ctxRequestId, reason);
        return "failed";
    }

    private static async Task<string> ReadAsync(UpstreamCall call)
    {
        var response = call.Response;
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return "unsupported";
        }

        if (!response.IsSuccessStatusCode)
        {
            return "failed";
        }

        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(call.Token).ConfigureAwait(false));
        return answer?["released"] is JsonValue released && released.GetValueKind() == JsonValueKind.True ? "released" : "not_held";
    }
}
