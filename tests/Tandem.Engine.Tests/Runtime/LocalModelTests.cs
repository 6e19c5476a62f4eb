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
    public void A_gguf_file_without_a_tokenizer_directory_is_refused_with_the_way_out()
    {
        var gguf = SharedData.Require("models", "stories260K-gguf", "stories260K-f32.gguf");
        var error = Assert.Throws<ArgumentException>(() => LocalModel.Load(gguf, new EngineOptions()));
        Assert.Contains("--tokenizer", error.Message, StringComparison.Ordinal);
    }
}
