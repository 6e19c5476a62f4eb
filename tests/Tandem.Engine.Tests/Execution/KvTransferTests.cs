using Tandem.Engine.Execution;

namespace Tandem.Engine.Tests.Execution;

/// <summary>Moving a request's KV cache between engines (the basis of disaggregated serving).</summary>
public class KvTransferTests
{
    [Theory]
    [InlineData("stories260K")]
    [InlineData("tiny-gqa")]
    public async Task Context_then_generation_on_another_engine_equals_one_engine(string model)
    {
        var directory = model == "stories260K" ? TestModels.Stories : TestModels.TinyGqa;
        var prompt = BatchInvarianceTests.Prompts(6, model == "stories260K" ? 512 : 301)[5];
        const int MaxTokens = 20;

        await using var context = TestModels.Open(directory);
        await using var generation = TestModels.Open(directory);

        var reference = await generation.GreedyAsync(prompt, MaxTokens);

        var first = await context.RunAsync(EngineHarness.Greedy("ctx", prompt, MaxTokens, RequestType.ContextOnly));
        Assert.Equal(FinishReason.ContextDone, first.Finish);
        Assert.Single(first.Tokens);
        Assert.Equal(reference.Tokens[0], first.Tokens[0]);

        var snapshot = await context.Engine.ExportKvAsync("ctx");
        Assert.NotNull(snapshot);
        Assert.Equal(prompt.Length, snapshot.TokenCount);
        Assert.True(await context.Engine.ReleaseKvAsync("ctx"));
        await context.AssertPoolFullAsync();

        var rest = await generation.RunAsync(EngineHarness.Greedy("gen", prompt, MaxTokens, RequestType.GenerationOnly) with
        {
            ImportedKv = snapshot,
            FirstTokens = first.Tokens,
        });
        Assert.Equal(FinishReason.Length, rest.Finish);
        Assert.Equal(reference.Tokens, rest.Tokens);
        await generation.AssertPoolFullAsync();
    }

    [Fact]
    public async Task Importing_a_cache_of_another_layout_is_refused_naming_both_layouts()
    {
        await using var stories = TestModels.Open(TestModels.Stories);
        await using var tiny = TestModels.Open(TestModels.TinyGqa);
        var prompt = new[] { 1, 5, 9 };
        await stories.RunAsync(EngineHarness.Greedy("ctx", prompt, 4, RequestType.ContextOnly));
        var snapshot = await stories.Engine.ExportKvAsync("ctx");

        var result = tiny.Engine.Submit(EngineHarness.Greedy("gen", prompt, 4, RequestType.GenerationOnly) with { ImportedKv = snapshot, FirstTokens = [7] }, TestContext.Current.CancellationToken);

        Assert.False(result.Accepted);
        Assert.Equal(SubmitError.Invalid, result.Error);
        Assert.Contains("layout mismatch", result.Message, StringComparison.Ordinal);
        Assert.Contains(stories.Engine.Layout.ToString(), result.Message, StringComparison.Ordinal);
        Assert.Contains(tiny.Engine.Layout.ToString(), result.Message, StringComparison.Ordinal);
        Assert.True(await stories.Engine.ReleaseKvAsync("ctx"));
        await stories.AssertPoolFullAsync();
    }

    [Fact]
    public async Task A_generation_only_request_without_a_cache_recomputes_the_prompt_and_gives_the_same_tokens()
    {
        var prompt = BatchInvarianceTests.Prompts(4, 301)[3];
        await using var engine = TestModels.Open(TestModels.TinyGqa);
        var reference = await engine.GreedyAsync(prompt, 12);

        var recomputed = await engine.RunAsync(EngineHarness.Greedy("gen", prompt, 12, RequestType.GenerationOnly) with { FirstTokens = [reference.Tokens[0]] });

        Assert.Equal(FinishReason.Length, recomputed.Finish);
        Assert.Equal(reference.Tokens, recomputed.Tokens);
        await engine.AssertPoolFullAsync();
    }
}
