using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tandem.Router.Forwarding;

/// <summary>The bodies of the two legs, built from the client's JSON (reference §1.2 steps 5 and 10).</summary>
internal static class LegRequests
{
    /// <summary>The client's request marked <c>context_only</c>, not streaming; <c>max_tokens</c> stays as the client asked.</summary>
    public static byte[] Context(ClientRequest request)
    {
        var json = request.Json.DeepClone().AsObject();
        json["disaggregated_params"] = new JsonObject { ["request_type"] = "context_only" };
        json["stream"] = false;
        json.Remove("stream_options");
        return ToUtf8(json);
    }

    /// <summary>
    /// The client's request marked <c>generation_only</c> with the context server's params, the prompt replaced by the
    /// context server's <c>prompt_token_ids</c> (chat keeps its messages and adds them), streaming as the client asked.
    /// </summary>
    public static byte[] Generation(ClientRequest request, ContextAnswer answer)
    {
        var json = request.Json.DeepClone().AsObject();
        var parameters = answer.Params.DeepClone().AsObject();
        parameters["request_type"] = "generation_only";
        json["disaggregated_params"] = parameters;
        json[request.IsChat ? "prompt_token_ids" : "prompt"] = answer.PromptTokenIds.DeepClone();
        return ToUtf8(json);
    }

    /// <summary>
    /// Gen-only benchmark mode (<see cref="RouterOptions.BenchmarkGenerationOnly"/>): the client's request as a
    /// <c>generation_only</c> leg with TensorRT-LLM's fixed parameters (first token 7, <c>ctx_request_id</c> 1, no
    /// transfer state) and <c>ignore_eos</c>, so that every request decodes its full <c>max_tokens</c>.
    /// </summary>
    public static byte[] BenchmarkGeneration(ClientRequest request)
    {
        var json = request.Json.DeepClone().AsObject();
        json["disaggregated_params"] = new JsonObject
        {
            ["request_type"] = "generation_only",
            ["first_gen_tokens"] = new JsonArray(7),
            ["ctx_request_id"] = 1,
            ["encoded_opaque_state"] = null,
            ["draft_tokens"] = null,
        };
        json["ignore_eos"] = true;
        return ToUtf8(json);
    }

    /// <summary>The client's request unchanged (aggregated mode: no context servers).</summary>
    public static byte[] Whole(ClientRequest request) => ToUtf8(request.Json);

    public static byte[] ToUtf8(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
