using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace Tandem.Server.Tests.Endpoints;

/// <summary>The official OpenAI .NET SDK against a real worker on loopback.</summary>
public class OpenAiSdkTests(WorkerFixture worker) : IClassFixture<WorkerFixture>
{
    private OpenAIClient Client() => new(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(worker.Address, "v1") });

    [Fact]
    public async Task Greedy_completion_of_once_upon_a_time_matches_the_golden_text()
    {
        var golden = File.ReadAllText(SharedData.Require("golden", "stories260K-greedy-256.txt"));
        var json = await PostCompletionAsync("""{"model":"stories260K","prompt":"Once upon a time","max_tokens":200,"temperature":0}""");
        var text = json.GetProperty("choices")[0].GetProperty("text").GetString();
        Assert.StartsWith("Once upon a time" + text, golden, StringComparison.Ordinal);
        Assert.Equal(200, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Streamed_completion_equals_the_whole_one()
    {
        var whole = await PostCompletionAsync("""{"model":"stories260K","prompt":"The cat","max_tokens":40,"temperature":0}""");
        var streamed = new StringBuilder();
        string? finish = null;
        foreach (var chunk in await PostCompletionStreamAsync("""{"model":"stories260K","prompt":"The cat","max_tokens":40,"temperature":0,"stream":true}"""))
        {
            var choice = chunk.GetProperty("choices")[0];
            streamed.Append(choice.GetProperty("text").GetString());
            if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String)
            {
                finish = choice.GetProperty("finish_reason").GetString();
            }
        }

        Assert.Equal(whole.GetProperty("choices")[0].GetProperty("text").GetString(), streamed.ToString());
        Assert.Equal("length", finish);
    }

    [Fact]
    public async Task Chat_whole_and_streamed_agree_and_report_usage()
    {
        var chat = Client().GetChatClient(WorkerFixture.ModelName);
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 30, Temperature = 0 };
        ChatCompletion whole = await chat.CompleteChatAsync([new UserChatMessage("Tell me a story about a dog.")], options, TestContext.Current.CancellationToken);
        Assert.Equal(ChatFinishReason.Length, whole.FinishReason);
        Assert.Equal(30, whole.Usage.OutputTokenCount);
        Assert.True(whole.Usage.InputTokenCount > 5);

        var streamed = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Tell me a story about a dog.")], options, TestContext.Current.CancellationToken))
        {
            foreach (var part in update.ContentUpdate)
            {
                streamed.Append(part.Text);
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal(whole.Content[0].Text, streamed.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.NotNull(usage);
        Assert.Equal(30, usage.OutputTokenCount);
        await worker.AssertPoolFullAsync();
    }

    [Fact]
    public async Task Chat_logprobs_come_back_per_token()
    {
        var chat = Client().GetChatClient(WorkerFixture.ModelName);
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 5, Temperature = 0, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 };
        ChatCompletion result = await chat.CompleteChatAsync([new UserChatMessage("Hello")], options, TestContext.Current.CancellationToken);
        Assert.Equal(5, result.ContentTokenLogProbabilities.Count);
        foreach (var token in result.ContentTokenLogProbabilities)
        {
            Assert.True(token.LogProbability <= 0);
            Assert.Equal(3, token.TopLogProbabilities.Count);
            Assert.Equal(token.TopLogProbabilities[0].LogProbability, token.LogProbability, 4); // greedy picks the most likely
        }
    }

    private async Task<JsonElement> PostCompletionAsync(string json)
    {
        var pipeline = Client().Pipeline;
        using var message = Message(pipeline, json);
        await pipeline.SendAsync(message);
        Assert.Equal(200, message.Response!.Status);
        return JsonDocument.Parse(message.Response.Content.ToString()).RootElement.Clone();
    }

    private async Task<List<JsonElement>> PostCompletionStreamAsync(string json)
    {
        var pipeline = Client().Pipeline;
        using var message = Message(pipeline, json);
        message.BufferResponse = false;
        await pipeline.SendAsync(message);
        Assert.Equal(200, message.Response!.Status);
        var chunks = new List<JsonElement>();
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(message.Response.ContentStream!).EnumerateAsync(TestContext.Current.CancellationToken))
        {
            if (item.Data == "[DONE]")
            {
                return chunks;
            }

            chunks.Add(JsonDocument.Parse(item.Data).RootElement.Clone());
        }

        throw new InvalidOperationException("stream ended without [DONE]");
    }

    /// <summary>A POST to /v1/completions through the SDK's own pipeline (its legacy completions client is internal).</summary>
    private PipelineMessage Message(ClientPipeline pipeline, string json)
    {
        var message = pipeline.CreateMessage();
        message.Request.Method = "POST";
        message.Request.Uri = new Uri(worker.Address, "v1/completions");
        message.Request.Headers.Set("Content-Type", "application/json");
        message.Request.Content = BinaryContent.Create(BinaryData.FromString(json));
        return message;
    }
}
