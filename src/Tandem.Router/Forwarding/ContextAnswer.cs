using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tandem.Router.Forwarding;

/// <summary>
/// A context server's answer, verified (reference §1.2 step 8): one choice, <c>disaggregated_params</c> with a
/// <c>ctx_request_id</c>, a finish reason; and, unless it already finished, the <c>prompt_token_ids</c> the generation leg needs.
/// </summary>
internal sealed record ContextAnswer(JsonObject Body, JsonObject Choice, JsonObject Params, JsonArray PromptTokenIds, string FinishReason)
{
    public const string NotFinished = "not_finished";

    /// <summary><c>ctx_request_id</c> when it is a JSON integer (as TensorRT-LLM and Tandem send it), else null.</summary>
    public long? CtxRequestId => Params["ctx_request_id"] is JsonValue id && id.GetValueKind() == JsonValueKind.Number && id.TryGetValue<long>(out var value) ? value : null;

    /// <summary>True when the request ended at its first token (EOS, stop, max_tokens): the answer is the whole result.</summary>
    public bool Finished => FinishReason != NotFinished;

    /// <summary>The verified answer, or what is wrong with it (to go into a 502 that names the server).</summary>
    public static (ContextAnswer? Answer, string? Problem) Verify(byte[] body)
    {
        JsonObject json;
        try
        {
            if (JsonNode.Parse(body) is not JsonObject parsed)
            {
                return (null, "answered with something that is not a JSON object");
            }

            json = parsed;
        }
        catch (JsonException e)
        {
            return (null, $"answered with malformed JSON: {e.Message}");
        }

        if (json["choices"] is not JsonArray choices)
        {
            return (null, "answered without choices");
        }

        if (choices.Count != 1 || choices[0] is not JsonObject choice)
        {
            return (null, $"returned {choices.Count} choices, expecting 1");
        }

        if (choice["disaggregated_params"] is not JsonObject parameters)
        {
            return (null, "answered without disaggregated_params (is it a Tandem or TensorRT-LLM worker with disaggregation on?)");
        }

        if (parameters["ctx_request_id"] is not JsonValue)
        {
            return (null, "answered without disaggregated_params.ctx_request_id");
        }

        if (choice["finish_reason"] is not JsonValue reasonNode || reasonNode.GetValueKind() != JsonValueKind.String)
        {
            return (null, "answered without a finish_reason");
        }

        var reason = reasonNode.GetValue<string>();
        var ids = json["prompt_token_ids"] as JsonArray;
        if (reason == NotFinished && (ids is null || ids.Count == 0 || ids.Any(id => id is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)))
        {
            return (null, "answered without prompt_token_ids (a list of token ids), which the generation leg needs");
        }

        return (new ContextAnswer(json, choice, parameters, ids ?? [], reason), null);
    }

    /// <summary>The answer as a client gets it when it is the whole result: the disaggregation fields removed.</summary>
    public JsonObject AsClientResponse()
    {
        var json = Body.DeepClone().AsObject();
        json.Remove("prompt_token_ids");
        ((JsonObject)json["choices"]![0]!).Remove("disaggregated_params");
        return json;
    }
}
