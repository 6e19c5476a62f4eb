using Tandem.Engine.Execution;
using Tandem.Engine.Runtime;
using Tandem.Engine.Sampling;

namespace Tandem.Engine.Tests.Runtime;

public class LocalModelTests
{
    [Fact]
    public async Task A_gguf_file_with_a_tokenizer_directory_generates_as_the_safetensors_model()
    {
        var stories = SharedData.Require("models", "stories260K");
        var gguf = SharedData.Require("models", "stories260K-gguf", "stories260K-f32.gguf");
        var options = new EngineOptions { KvCacheMemoryBytes = 8L << 20, Threads = 1, MaxBatchSize = 2 };
        await using var fromGguf = LocalModel.Load(gguf, options, tokenizerDirectory: stories);
        await using var fromSafetensors = LocalModel.Load(stories, options);

        var greedy = new SamplingParams { Temperature = 0 };
        var a = new System.Text.StringBuilder();
        var b = new System.Text.StringBuilder();
        await TextGenerator.GenerateAsync(fromGguf, "Once upon a time", chat: false, 32, greedy, t => a.Append(t), TestContext.Current.CancellationToken);
        await TextGenerator.GenerateAsync(fromSafetensors, "Once upon a time", chat: false, 32, greedy, t => b.Append(t), TestContext.Current.CancellationToken);
        Assert.Equal(b.ToString(), a.ToString());
        Assert.NotEqual(fromGguf.Fingerprint, fromSafetensors.Fingerprint);
    }

    [Fact]
    public async Task A_gguf_file_alone_uses_its_own_tokenizer_and_generates_as_the_safetensors_model()
    {
        var stories = SharedData.Require("models", "stories260K");
        var gguf = SharedData.Require("models", "stories260K-gguf", "stories260K-q8_0.gguf");
        var options = new EngineOptions { KvCacheMemoryBytes = 8L << 20, Threads = 1, MaxBatchSize = 2 };
        await using var fromGguf = LocalModel.Load(gguf, options);
        await using var withDirectory = LocalModel.Load(gguf, options, tokenizerDirectory: stories);

        Assert.Equal(withDirectory.Tokenizer.VocabSize, fromGguf.Tokenizer.VocabSize);
        Assert.False(fromGguf.HasOwnChatTemplate);
        var greedy = new SamplingParams { Temperature = 0 };
        var a = new System.Text.StringBuilder();
        var b = new System.Text.StringBuilder();
        await TextGenerator.GenerateAsync(fromGguf, "Once upon a time", chat: false, 32, greedy, t => a.Append(t), TestContext.Current.CancellationToken);
        await TextGenerator.GenerateAsync(withDirectory, "Once upon a time", chat: false, 32, greedy, t => b.Append(t), TestContext.Current.CancellationToken);
        Assert.Equal(b.ToString(), a.ToString());
        Assert.NotEmpty(a.ToString());
    }

    [Fact]
    public async Task A_tokenizer_directory_wins_over_the_gguf_metadata()
    {
        var gguf = SharedData.Require("models", "stories260K-gguf", "stories260K-f32.gguf");
        var tinyLlama = SharedData.Require("models", "tinyllama-1.1b-chat-v1.0-tokenizer");

        // TinyLlama's tokenizer (32000 ids) and chat template, over a 512-token model: the directory is what is used.
        var options = new EngineOptions { KvCacheMemoryBytes = 8L << 20, Threads = 1, MaxBatchSize = 2 };
        await using var model = LocalModel.Load(gguf, options, tokenizerDirectory: tinyLlama);
        Assert.Equal(32000, model.Tokenizer.VocabSize);
        Assert.True(model.HasOwnChatTemplate);
    }
}
