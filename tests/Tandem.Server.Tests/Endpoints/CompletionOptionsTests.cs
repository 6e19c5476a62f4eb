namespace Tandem.Server.Tests.Endpoints;

/// <summary>Completion options beyond the prompt: echo, logprobs, stop token ids, seeds.</summary>
public class CompletionOptionsTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    [Fact]
    public async Task Echo_puts_the_prompt_before_the_completion()
    {
        var plain = await TextAsync("""{"model":"stories260K","prompt":"Once upon a time","max_tokens":8,"temperature":0}""");
        var echoed = await TextAsync("""{"model":"stories260K","prompt":"Once upon a time","max_tokens":8,"temperature":0,"echo":true}""");
        Assert.Equal("Once upon a time" + plain, echoed);
    }

    [Fact]
    public async Task Completion_logprobs_list_each_token_with_offsets_and_alternatives()
    {
        var choice = (await worker.PostAsync("/v1/completions", """{"model":"stories260K","prompt":"Once upon a time","max_tokens":6,"temperature":0,"logprobs":2}""")).GetProperty("choices")[0];
        var logprobs = choice.GetProperty("logprobs");
        var tokens = logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray();
        Assert.Equal(6, tokens.Length);
        Assert.Equal(choice.GetProperty("text").GetString(), string.Concat(tokens));
        var offsets = logprobs.GetProperty("text_offset").EnumerateArray().Select(o => o.GetInt32()).ToArray();
        for (var i = 1; i < offsets.Length; i++)
        {
            Assert.Equal(offsets[i - 1] + tokens[i - 1].Length, offsets[i]);
        }

        foreach (var top in logprobs.GetProperty("top_logprobs").EnumerateArray())
        {
            Assert.Equal(2, top.EnumerateObject().Count());
        }

        Assert.All(logprobs.GetProperty("token_logprobs").EnumerateArray(), v => Assert.True(v.GetSingle() <= 0));
    }

    [Fact]
    public async Task A_stop_token_id_ends_generation_with_stop()
    {
        // The golden greedy ids after "Once upon a time" start 432, 383, 286: stopping on 286 keeps three tokens.
        var stopped = (await worker.PostAsync("/v1/completions", """{"model":"stories260K","prompt":[1,403,407,261,378],"max_tokens":10,"temperature":0,"stop_token_ids":[286]}"""));
        Assert.Equal("stop", stopped.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(3, stopped.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_sampled_text()
    {
        const string Body = """{"model":"stories260K","prompt":"Once upon a time","max_tokens":30,"temperature":1.0,"top_p":0.9,"seed":1234}""";
        Assert.Equal(await TextAsync(Body), await TextAsync(Body));
        Assert.NotEqual(await TextAsync(Body), await TextAsync(Body.Replace("1234", "99", StringComparison.Ordinal)));
    }

    private async Task<string> TextAsync(string body) =>
        (await worker.PostAsync("/v1/completions", body)).GetProperty("choices")[0].GetProperty("text").GetString()!;
}
