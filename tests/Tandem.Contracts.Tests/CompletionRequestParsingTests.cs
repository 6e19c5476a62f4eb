using System.Text;

namespace Tandem.Contracts.Tests;

public class CompletionRequestParsingTests
{
    private static CompletionRequest Parse(string json)
    {
        var result = RequestParser.ParseCompletion(Encoding.UTF8.GetBytes(json));
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value;
    }

    [Fact]
    public void A_full_request_binds_every_field()
    {
        var request = Parse("""
            {"model": "m", "prompt": "Once upon a time", "max_tokens": 16, "temperature": 0.5, "top_p": 0.9,
             "top_k": 40, "min_p": 0.05, "seed": 7, "stop": ["\n", "END"], "stop_token_ids": [2], "ignore_eos": true,
             "n": 1, "logprobs": 3, "echo": true, "presence_penalty": 0.1, "frequency_penalty": -0.2,
             "repetition_penalty": 1.1, "stream": true, "stream_options": {"include_usage": true}, "user": "u"}
            """);

        Assert.Equal("m", request.Model);
        Assert.Equal("Once upon a time", request.Prompt.Text);
        Assert.Equal(16, request.MaxTokens);
        Assert.Equal(0.5, request.Temperature);
        Assert.Equal(0.9, request.TopP);
        Assert.Equal(40, request.TopK);
        Assert.Equal(0.05, request.MinP);
        Assert.Equal(7, request.Seed);
        Assert.Equal(["\n", "END"], request.Stop);
        Assert.Equal([2], request.StopTokenIds);
        Assert.True(request.IgnoreEos);
        Assert.Equal(1, request.N);
        Assert.Equal(3, request.Logprobs);
        Assert.True(request.Echo);
        Assert.Equal(0.1, request.PresencePenalty);
        Assert.Equal(-0.2, request.FrequencyPenalty);
        Assert.Equal(1.1, request.RepetitionPenalty);
        Assert.True(request.Stream);
        Assert.True(request.StreamOptions?.IncludeUsage);
        Assert.Equal("u", request.User);
        Assert.Null(request.DisaggregatedParams);
    }

    [Fact]
    public void Absent_fields_stay_null()
    {
        var request = Parse("""{"model": "m", "prompt": "x"}""");

        Assert.Null(request.MaxTokens);
        Assert.Null(request.Stop);
        Assert.Null(request.Stream);
        Assert.Null(request.Logprobs);
    }

    [Theory]
    [InlineData("\"hello\"")]
    [InlineData("[\"hello\"]")]
    public void A_text_prompt_may_be_a_string_or_a_one_element_list(string prompt)
    {
        var request = Parse($$"""{"model": "m", "prompt": {{prompt}}}""");

        Assert.True(request.Prompt.IsText);
        Assert.Equal("hello", request.Prompt.Text);
    }

    [Theory]
    [InlineData("[1, 2, 3]")]
    [InlineData("[[1, 2, 3]]")]
    public void A_token_prompt_may_be_a_list_or_a_one_element_list_of_lists(string prompt)
    {
        var request = Parse($$"""{"model": "m", "prompt": {{prompt}}}""");

        Assert.False(request.Prompt.IsText);
        Assert.Equal([1, 2, 3], request.Prompt.TokenIds);
    }

    [Fact]
    public void Stop_may_be_one_string()
    {
        var request = Parse("""{"model": "m", "prompt": "x", "stop": "###"}""");

        Assert.Equal(["###"], request.Stop);
    }

    [Fact]
    public void Unknown_fields_are_ignored()
    {
        var request = Parse("""
            {"model": "m", "suffix": "s", "best_of": 3, "logit_bias": {"50256": -100}, "nested": [{"a": [1, {"b": null}]}], "prompt": "x"}
            """);

        Assert.Equal("x", request.Prompt.Text);
    }

    [Fact]
    public void Nulls_count_as_absent_for_optional_fields()
    {
        var request = Parse("""{"model": "m", "prompt": "x", "max_tokens": null, "stop": null, "disaggregated_params": null}""");

        Assert.Null(request.MaxTokens);
        Assert.Null(request.Stop);
        Assert.Null(request.DisaggregatedParams);
    }

    [Fact]
    public void A_one_megabyte_prompt_parses()
    {
        var text = new string('a', 1 << 20);
        var request = Parse($$"""{"model": "m", "prompt": "{{text}}"}""");

        Assert.Equal(1 << 20, request.Prompt.Text!.Length);
    }

    [Fact]
    public void A_long_token_prompt_parses()
    {
        var ids = string.Join(',', Enumerable.Range(0, 200_000));
        var request = Parse($$"""{"model": "m", "prompt": [{{ids}}]}""");

        Assert.Equal(200_000, request.Prompt.TokenIds!.Count);
        Assert.Equal(199_999, request.Prompt.TokenIds[^1]);
    }

    [Fact]
    public void Escaped_text_is_unescaped()
    {
        var request = Parse("""{"model": "m", "prompt": "caf\u00e9 \"q\"\n"}""");

        Assert.Equal("café \"q\"\n", request.Prompt.Text);
    }
}
