using System.Text;

namespace Tandem.Contracts.Tests;

public class ChatRequestParsingTests
{
    private static ChatCompletionRequest Parse(string json)
    {
        var result = RequestParser.ParseChat(Encoding.UTF8.GetBytes(json));
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value;
    }

    [Fact]
    public void Messages_with_string_content_bind()
    {
        var request = Parse("""
            {"model": "m", "messages": [
              {"role": "system", "content": "Be brief."},
              {"role": "user", "content": "Hi", "name": "ann"},
              {"role": "assistant", "content": null},
              {"role": "tool", "content": "42", "tool_call_id": "t1"}],
             "max_completion_tokens": 8, "logprobs": true, "top_logprobs": 2, "stream": false}
            """);

        Assert.Equal(
            [
                new ChatRequestMessage("system", "Be brief."),
                new ChatRequestMessage("user", "Hi") { Name = "ann" },
                new ChatRequestMessage("assistant", null),
                new ChatRequestMessage("tool", "42"),
            ],
            request.Messages);
        Assert.Equal(8, request.MaxOutputTokens);
        Assert.True(request.Logprobs);
        Assert.Equal(2, request.TopLogprobs);
        Assert.Null(request.PromptTokenIds);
    }

    [Fact]
    public void Text_parts_are_joined_with_newlines()
    {
        var request = Parse("""
            {"model": "m", "messages": [{"role": "user", "content": [
              {"type": "text", "text": "first"}, {"text": "second", "type": "text", "extra": {"x": 1}}]}]}
            """);

        Assert.Equal("first\nsecond", request.Messages[0].Content);
    }

    [Fact]
    public void Max_tokens_is_the_fallback_for_max_completion_tokens()
    {
        var request = Parse("""{"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 5}""");

        Assert.Equal(5, request.MaxOutputTokens);
    }

    [Fact]
    public void Prompt_token_ids_stand_in_for_messages()
    {
        var request = Parse("""
            {"model": "m", "prompt_token_ids": [1, 15043, 29871],
             "disaggregated_params": {"request_type": "generation_only", "first_gen_tokens": [450], "ctx_request_id": 12}}
            """);

        Assert.Empty(request.Messages);
        Assert.Equal([1, 15043, 29871], request.PromptTokenIds);
        Assert.Equal(DisaggregatedRequestType.GenerationOnly, request.DisaggregatedParams?.RequestType);
    }

    [Fact]
    public void Prompt_token_ids_may_come_with_the_original_messages()
    {
        var request = Parse("""{"model": "m", "prompt_token_ids": [1], "messages": [{"role": "user", "content": "x"}]}""");

        Assert.Single(request.Messages);
        Assert.Equal([1], request.PromptTokenIds);
    }

    [Fact]
    public void Unknown_fields_are_ignored_at_every_level()
    {
        var request = Parse("""
            {"model": "m", "tools": [{"type": "function"}], "response_format": {"type": "text"},
             "messages": [{"role": "user", "content": "x", "weird": [1, 2]}],
             "stream_options": {"include_usage": true, "continuous_usage_stats": false}}
            """);

        Assert.Equal("x", request.Messages[0].Content);
        Assert.True(request.StreamOptions?.IncludeUsage);
    }
}
