using System.Text;
using System.Text.Json;

namespace Tandem.Contracts.Tests;

/// <summary>The router forwards typed requests; what it writes must parse back to the same request.</summary>
public class RequestJsonTests
{
    [Fact]
    public void A_generation_only_completion_request_is_written_in_openai_shape()
    {
        var request = new CompletionRequest
        {
            Model = "m",
            Prompt = PromptInput.FromTokenIds([1, 2, 3]),
            MaxTokens = 8,
            Stop = ["\n"],
            Stream = true,
            DisaggregatedParams = new DisaggregatedParams
            {
                RequestType = DisaggregatedRequestType.GenerationOnly,
                FirstGenTokens = [4],
                CtxRequestId = 9,
                EncodedOpaqueState = "AQID",
            },
        };

        var json = JsonSerializer.Serialize(request, ContractsJsonContext.Default.CompletionRequest);

        Assert.Equal(
            """{"prompt":[1,2,3],"model":"m","max_tokens":8,"stop":["\n"],"stream":true,"disaggregated_params":{"request_type":"generation_only","first_gen_tokens":[4],"ctx_request_id":9,"encoded_opaque_state":"AQID"}}""",
            json);
        var parsed = RequestParser.ParseCompletion(Encoding.UTF8.GetBytes(json));
        Assert.True(parsed.IsSuccess, parsed.Error?.Message);
        Assert.Equal([1, 2, 3], parsed.Value.Prompt.TokenIds);
        Assert.Equal(9, parsed.Value.DisaggregatedParams?.CtxRequestId);
        Assert.Equal(json, JsonSerializer.Serialize(parsed.Value, ContractsJsonContext.Default.CompletionRequest));
    }

    [Fact]
    public void A_chat_request_round_trips()
    {
        var json = """{"messages":[{"role":"user","content":"Hi"},{"role":"assistant"}],"prompt_token_ids":[1,2],"model":"m","temperature":0}""";

        var parsed = RequestParser.ParseChat(Encoding.UTF8.GetBytes(json));

        Assert.True(parsed.IsSuccess, parsed.Error?.Message);
        Assert.Equal(json, JsonSerializer.Serialize(parsed.Value, ContractsJsonContext.Default.ChatCompletionRequest));
    }
}
