using System.Text;

namespace Tandem.Contracts.Tests;

public class RequestErrorTests
{
    private static RequestError CompletionError(string json)
    {
        var result = RequestParser.ParseCompletion(Encoding.UTF8.GetBytes(json));
        Assert.False(result.IsSuccess);
        return result.Error;
    }

    private static RequestError ChatError(string json)
    {
        var result = RequestParser.ParseChat(Encoding.UTF8.GetBytes(json));
        Assert.False(result.IsSuccess);
        return result.Error;
    }

    [Theory]
    [InlineData("{\"model\": \"m\",\n \"prompt\": }", "Malformed JSON at line 2, byte 12: '}' is an invalid start of a value.")]
    [InlineData("{\"model\": \"m\"", "Malformed JSON at line 1, byte 14: Expected depth to be zero at the end of the JSON payload. There is an open JSON object or array that should be closed.")]
    [InlineData("", "The request body is empty; expected a JSON object.")]
    [InlineData("{'model': 'm'}", "Malformed JSON at line 1, byte 2: ''' is an invalid start of a property name. Expected a '\"'.")]
    [InlineData("{\"model\": \"m\"} x", "Malformed JSON at line 1, byte 16: 'x' is invalid after a single JSON value. Expected end of data.")]
    public void Malformed_json_says_where(string json, string message)
    {
        Assert.Equal(new RequestError(message, null), CompletionError(json));
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    public void The_body_must_be_an_object(string json)
    {
        Assert.Equal(new RequestError("The request body must be a JSON object.", null), ChatError(json));
    }

    [Theory]
    [InlineData("""{"prompt": "x"}""", "Missing required parameter: 'model'.", "model")]
    [InlineData("""{"model": "m"}""", "Missing required parameter: 'prompt'.", "prompt")]
    [InlineData("""{"model": "m", "prompt": null}""", "Missing required parameter: 'prompt'.", "prompt")]
    [InlineData("""{"model": 5, "prompt": "x"}""", "Invalid type for 'model': expected a string.", "model")]
    [InlineData("""{"model": "m", "prompt": "x", "max_tokens": "16"}""", "Invalid type for 'max_tokens': expected an integer.", "max_tokens")]
    [InlineData("""{"model": "m", "prompt": "x", "max_tokens": 1.5}""", "Invalid type for 'max_tokens': expected an integer.", "max_tokens")]
    [InlineData("""{"model": "m", "prompt": "x", "temperature": "hot"}""", "Invalid type for 'temperature': expected a number.", "temperature")]
    [InlineData("""{"model": "m", "prompt": "x", "stream": "yes"}""", "Invalid type for 'stream': expected a boolean.", "stream")]
    [InlineData("""{"model": "m", "prompt": "x", "stream_options": {"include_usage": 1}}""", "Invalid type for 'stream_options.include_usage': expected a boolean.", "stream_options.include_usage")]
    [InlineData("""{"model": "m", "prompt": "x", "stream_options": true}""", "Invalid type for 'stream_options': expected an object.", "stream_options")]
    [InlineData("""{"model": "m", "prompt": "x", "stop_token_ids": 2}""", "Invalid type for 'stop_token_ids': expected a list of integers.", "stop_token_ids")]
    [InlineData("""{"model": "m", "prompt": "x", "stop_token_ids": [2, "3"]}""", "Invalid type for 'stop_token_ids[1]': expected an integer.", "stop_token_ids[1]")]
    [InlineData("""{"model": "m", "prompt": "x", "stop": 3}""", "Invalid type for 'stop': expected a string or a list of strings.", "stop")]
    [InlineData("""{"model": "m", "prompt": "x", "stop": ["a", 3]}""", "Invalid type for 'stop[1]': expected a string.", "stop[1]")]
    [InlineData("""{"model": "m", "prompt": "x", "logprobs": true}""", "Invalid type for 'logprobs': expected an integer.", "logprobs")]
    [InlineData("""{"model": "m", "prompt": "x", "echo": 1}""", "Invalid type for 'echo': expected a boolean.", "echo")]
    public void Completion_fields_of_the_wrong_type_or_missing_are_named(string json, string message, string param)
    {
        Assert.Equal(new RequestError(message, param), CompletionError(json));
    }

    [Theory]
    [InlineData("""{"model": "m", "prompt": ["a", "b"]}""")]
    [InlineData("""{"model": "m", "prompt": [[1], [2]]}""")]
    [InlineData("""{"model": "m", "prompt": [[1], "b"]}""")]
    public void Prompt_batches_are_refused(string json)
    {
        Assert.Equal(new RequestError("prompt batches are not supported; send one prompt per request", "prompt"), CompletionError(json));
    }

    [Theory]
    [InlineData("""{"model": "m", "prompt": 5}""", "Invalid type for 'prompt': expected a string or a list of token ids.", "prompt")]
    [InlineData("""{"model": "m", "prompt": {"text": "x"}}""", "Invalid type for 'prompt': expected a string or a list of token ids.", "prompt")]
    [InlineData("""{"model": "m", "prompt": []}""", "Invalid 'prompt': the prompt must not be an empty list.", "prompt")]
    [InlineData("""{"model": "m", "prompt": [1, "a"]}""", "Invalid type for 'prompt[1]': expected a non-negative integer token id.", "prompt[1]")]
    [InlineData("""{"model": "m", "prompt": [1, -2]}""", "Invalid type for 'prompt[1]': expected a non-negative integer token id.", "prompt[1]")]
    [InlineData("""{"model": "m", "prompt": [[1, 2.5]]}""", "Invalid type for 'prompt[0][1]': expected a non-negative integer token id.", "prompt[0][1]")]
    [InlineData("""{"model": "m", "prompt": [true]}""", "Invalid type for 'prompt[0]': expected a string or a list of token ids.", "prompt[0]")]
    public void Bad_prompts_are_named(string json, string message, string param)
    {
        Assert.Equal(new RequestError(message, param), CompletionError(json));
    }

    [Theory]
    [InlineData("max_tokens", "0", "Invalid 'max_tokens': expected a value >= 1, but got 0.")]
    [InlineData("n", "0", "Invalid 'n': expected a value >= 1, but got 0.")]
    [InlineData("logprobs", "21", "Invalid 'logprobs': expected a value in [0, 20], but got 21.")]
    [InlineData("logprobs", "-1", "Invalid 'logprobs': expected a value in [0, 20], but got -1.")]
    [InlineData("temperature", "-0.5", "Invalid 'temperature': expected a value >= 0, but got -0.5.")]
    [InlineData("top_p", "0", "Invalid 'top_p': expected a value in (0, 1], but got 0.")]
    [InlineData("top_k", "-2", "Invalid 'top_k': expected -1 (disabled) or a value >= 0, but got -2.")]
    [InlineData("min_p", "1.5", "Invalid 'min_p': expected a value in [0, 1], but got 1.5.")]
    [InlineData("presence_penalty", "3", "Invalid 'presence_penalty': expected a value in [-2, 2], but got 3.")]
    [InlineData("frequency_penalty", "-3", "Invalid 'frequency_penalty': expected a value in [-2, 2], but got -3.")]
    [InlineData("repetition_penalty", "0", "Invalid 'repetition_penalty': expected a value > 0, but got 0.")]
    public void Values_out_of_their_basic_range_are_refused(string field, string value, string message)
    {
        Assert.Equal(new RequestError(message, field), CompletionError($$"""{"model": "m", "prompt": "x", "{{field}}": {{value}}}"""));
    }

    [Theory]
    [InlineData("""{"messages": [{"role": "user", "content": "x"}]}""", "Missing required parameter: 'model'.", "model")]
    [InlineData("""{"model": "m"}""", "Missing required parameter: 'messages'.", "messages")]
    [InlineData("""{"model": "m", "messages": []}""", "Invalid 'messages': expected at least one message.", "messages")]
    [InlineData("""{"model": "m", "messages": "hi"}""", "Invalid type for 'messages': expected a list of objects.", "messages")]
    [InlineData("""{"model": "m", "messages": ["hi"]}""", "Invalid type for 'messages[0]': expected an object.", "messages[0]")]
    [InlineData("""{"model": "m", "messages": [{"content": "x"}]}""", "Missing required parameter: 'messages[0].role'.", "messages[0].role")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "x"}, {"role": "user"}]}""", "Missing required parameter: 'messages[1].content'.", "messages[1].content")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": 5}]}""", "Invalid type for 'messages[0].content': expected a string or a list of content parts.", "messages[0].content")]
    [InlineData("""{"model": "m", "messages": [{"role": 1, "content": "x"}]}""", "Invalid type for 'messages[0].role': expected a string.", "messages[0].role")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": ["x"]}]}""", "Invalid type for 'messages[0].content[0]': expected a content part object.", "messages[0].content[0]")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": [{"text": "x"}]}]}""", "Missing required parameter: 'messages[0].content[0].type'.", "messages[0].content[0].type")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": [{"type": "text"}]}]}""", "Missing required parameter: 'messages[0].content[0].text'.", "messages[0].content[0].text")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": 1}]}]}""", "Invalid type for 'messages[0].content[0].text': expected a string.", "messages[0].content[0].text")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": [{"type": 1}]}]}""", "Invalid type for 'messages[0].content[0].type': expected a string.", "messages[0].content[0].type")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": "x"}, {"type": "image_url", "image_url": {"url": "u"}}]}]}""", "Invalid 'messages[0].content[1].type': only 'text' content parts are supported, but got 'image_url'.", "messages[0].content[1].type")]
    [InlineData("""{"model": "m", "prompt_token_ids": [1, "a"]}""", "Invalid type for 'prompt_token_ids[1]': expected an integer.", "prompt_token_ids[1]")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "x"}], "logprobs": 1}""", "Invalid type for 'logprobs': expected a boolean.", "logprobs")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "x"}], "top_logprobs": 21, "logprobs": true}""", "Invalid 'top_logprobs': expected a value in [0, 20], but got 21.", "top_logprobs")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "x"}], "top_logprobs": 2}""", "Invalid 'top_logprobs': 'logprobs' must be true when 'top_logprobs' is used.", "top_logprobs")]
    [InlineData("""{"model": "m", "messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 0}""", "Invalid 'max_completion_tokens': expected a value >= 1, but got 0.", "max_completion_tokens")]
    public void Chat_errors_are_named(string json, string message, string param)
    {
        Assert.Equal(new RequestError(message, param), ChatError(json));
    }

    [Fact]
    public void The_third_message_is_named_by_its_index()
    {
        var error = ChatError("""
            {"model": "m", "messages": [
              {"role": "system", "content": "s"},
              {"role": "user", "content": "u"},
              {"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]}
            """);

        Assert.Equal("messages[2].content[0].type", error.Param);
    }

    [Fact]
    public void A_request_error_becomes_a_400_invalid_request_error()
    {
        var response = new RequestError("Missing required parameter: 'model'.", "model").ToErrorResponse();

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(new ErrorDetail { Message = "Missing required parameter: 'model'.", Type = "invalid_request_error", Param = "model" }, response.Error);
    }
}
