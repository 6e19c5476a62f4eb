using System.Text;

namespace Tandem.Contracts.Tests;

public class DisaggregatedParamsParsingTests
{
    private static ParseResult<CompletionRequest> Parse(string disaggregatedParams) =>
        RequestParser.ParseCompletion(Encoding.UTF8.GetBytes(
            $$"""{"model": "m", "prompt": [1, 2], "disaggregated_params": {{disaggregatedParams}}}"""));

    [Fact]
    public void TensorRT_LLM_generation_params_bind()
    {
        var result = Parse("""
            {"request_type": "generation_only", "first_gen_tokens": [7, 8], "ctx_request_id": 1099511627776,
             "encoded_opaque_state": "AAEC", "draft_tokens": null, "disagg_request_id": 5, "schedule_style": 0}
            """);

        Assert.True(result.IsSuccess, result.Error?.Message);
        var disaggregated = result.Value.DisaggregatedParams!;
        Assert.Equal(DisaggregatedRequestType.GenerationOnly, disaggregated.RequestType);
        Assert.Equal([7, 8], disaggregated.FirstGenTokens);
        Assert.Equal(1099511627776L, disaggregated.CtxRequestId);
        Assert.Equal("AAEC", disaggregated.EncodedOpaqueState);
        Assert.Null(disaggregated.DraftTokens);
    }

    [Theory]
    [InlineData("context_only", DisaggregatedRequestType.ContextOnly)]
    [InlineData("CONTEXT_ONLY", DisaggregatedRequestType.ContextOnly)]
    [InlineData("Generation_Only", DisaggregatedRequestType.GenerationOnly)]
    [InlineData("context_and_generation", DisaggregatedRequestType.ContextAndGeneration)]
    public void Request_type_is_read_case_insensitively(string text, DisaggregatedRequestType expected)
    {
        var result = Parse($$"""{"request_type": "{{text}}"}""");

        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Equal(expected, result.Value.DisaggregatedParams?.RequestType);
    }

    [Fact]
    public void Ctx_request_id_may_be_a_string()
    {
        var result = Parse("""{"request_type": "generation_only", "ctx_request_id": "42"}""");

        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Equal(42L, result.Value.DisaggregatedParams?.CtxRequestId);
    }

    [Theory]
    [InlineData("""{"request_type": "prefill"}""", "Invalid 'disaggregated_params.request_type': expected 'context_only', 'generation_only' or 'context_and_generation', but got 'prefill'.", "disaggregated_params.request_type")]
    [InlineData("""{"request_type": 1}""", "Invalid type for 'disaggregated_params.request_type': expected a string.", "disaggregated_params.request_type")]
    [InlineData("""{"first_gen_tokens": [1]}""", "Missing required parameter: 'disaggregated_params.request_type'.", "disaggregated_params.request_type")]
    [InlineData("""{"request_type": "generation_only", "ctx_request_id": "abc"}""", "Invalid type for 'disaggregated_params.ctx_request_id': expected an integer (or a string holding one).", "disaggregated_params.ctx_request_id")]
    [InlineData("""{"request_type": "generation_only", "ctx_request_id": 1.5}""", "Invalid type for 'disaggregated_params.ctx_request_id': expected an integer (or a string holding one).", "disaggregated_params.ctx_request_id")]
    [InlineData("""{"request_type": "generation_only", "first_gen_tokens": ["a"]}""", "Invalid type for 'disaggregated_params.first_gen_tokens[0]': expected an integer.", "disaggregated_params.first_gen_tokens[0]")]
    [InlineData("""{"request_type": "generation_only", "encoded_opaque_state": "not base64!"}""", "Invalid 'disaggregated_params.encoded_opaque_state': expected base64 text.", "disaggregated_params.encoded_opaque_state")]
    [InlineData("""[]""", "Invalid type for 'disaggregated_params': expected an object.", "disaggregated_params")]
    public void Bad_params_are_refused(string disaggregatedParams, string message, string param)
    {
        var result = Parse(disaggregatedParams);

        Assert.False(result.IsSuccess);
        Assert.Equal(new RequestError(message, param), result.Error);
    }
}
