using Tandem.Engine.Execution;
using Tandem.Engine.KvCache;
using Tandem.Engine.Sampling;
using Tandem.Engine.Tokenization;

namespace Tandem.Engine.Tests.Execution;

/// <summary>
/// <c>kv_cache_config.dtype: bfloat16</c>: K and V stored rounded to bfloat16, read back widened. The forward pass is
/// otherwise the same, so batch invariance and the transfer between engines hold exactly as with fp32.
/// </summary>
public class BFloat16KvCacheTests
{
    private static EngineOptions Options(int maxBatchSize, int threads, int maxNumTokens = 8192) => new()
    {
        KvCacheMemoryBytes = 4L << 20,
        MaxBatchSize = maxBatchSize,
        MaxNumTokens = maxNumTokens,
        Threads = threads,
        KvCacheDType = KvCacheDType.BFloat16,
    };

    [Fact]
    public async Task The_cache_holds_twice_the_tokens_of_an_fp32_cache_in_the_same_memory()
    {
        // A budget below the cap of max_batch_size full-length requests, so that it alone sets the block count.
        await using var fp32 = TestModels.Open(TestModels.TinyGqa, Options(64, 1) with { KvCacheMemoryBytes = 1L << 20, KvCacheDType = KvCacheDType.Float32 });
        await using var bf16 = TestModels.Open(TestModels.TinyGqa, Options(64, 1) with { KvCacheMemoryBytes = 1L << 20 });
        Assert.Equal(KvCacheDTypes.BFloat16Name, bf16.Engine.Layout.DType);
        Assert.Equal(fp32.Engine.Layout.BlockBytes / 2, bf16.Engine.Layout.BlockBytes);
        var fp32Blocks = (await fp32.Engine.GetStatsAsync()).KvBlocksTotal;
        var bf16Blocks = (await bf16.Engine.GetStatsAsync()).KvBlocksTotal;
        Assert.Equal((1L << 20) / fp32.Engine.Layout.BlockBytes, fp32Blocks);
        Assert.Equal((1L << 20) / bf16.Engine.Layout.BlockBytes, bf16Blocks);
        Assert.InRange(bf16Blocks, 2 * fp32Blocks, (2 * fp32Blocks) + 1);
    }

    [Fact]
    public async Task Stories260K_greedy_continuation_still_reproduces_the_golden_text()
    {
        const string Prompt = "Once upon a time";
        var golden = File.ReadAllText(SharedData.Require("golden", "stories260K-greedy-256.txt"));
        var tokenizer = Tokenizer.Load(TestModels.Stories);
        await using var h = TestModels.Open(TestModels.Stories, Options(4, 2));
        var outcome = await h.RunAsync(new EngineRequest
        {
            Id = "golden",
            PromptTokens = tokenizer.Encode(Prompt),
            MaxTokens = 256,
            Sampling = new SamplingParams { Temperature = 0 },
        });

        Assert.StartsWith(golden.TrimEnd('\n'), Prompt + tokenizer.Decode([.. outcome.Tokens]), StringComparison.Ordinal);
        await h.AssertPoolFullAsync();
    }

    [Theory]
    [InlineData("stories260K")]
    [InlineData("tiny-gqa")]
    public async Task Eight_prompts_alone_and_together_give_identical_greedy_tokens(string model)
    {
        var directory = model == "stories260K" ? TestModels.Stories : TestModels.TinyGqa;
        var prompts = BatchInvarianceTests.Prompts(8, directory == TestModels.TinyGqa ? 301 : 512);
        const int MaxTokens = 24;
        List<int>[] alone;
        await using (var single = TestModels.Open(directory, Options(1, 1)))
        {
            alone = await BatchInvarianceTests.AloneAsync(single, prompts, MaxTokens);
        }

        await using var batched = TestModels.Open(directory, Options(8, 2, maxNumTokens: 7));
        await BatchInvarianceTests.AssertTogetherAsAloneAsync(batched, prompts, alone, MaxTokens, delayStepMs: 3);
    }

    [Fact]
    public async Task Context_then_generation_on_another_engine_equals_one_engine_and_moves_half_the_bytes()
    {
        var prompt = BatchInvarianceTests.Prompts(6, 301)[5];
        const int MaxTokens = 20;
        await using var context = TestModels.Open(TestModels.TinyGqa, Options(4, 2));
        await using var generation = TestModels.Open(TestModels.TinyGqa, Options(4, 2));
        var reference = await generation.GreedyAsync(prompt, MaxTokens);

        var first = await context.RunAsync(EngineHarness.Greedy("ctx", prompt, MaxTokens, RequestType.ContextOnly));
        Assert.Equal(FinishReason.ContextDone, first.Finish);
        var snapshot = await context.Engine.ExportKvAsync("ctx");
        Assert.NotNull(snapshot);
        Assert.Equal(context.Engine.Layout.BlocksFor(prompt.Length) * context.Engine.Layout.BlockBytes, snapshot.Data.LongLength);
        Assert.Equal((long)context.Engine.Layout.BlocksFor(prompt.Length) * context.Engine.Layout.BlockElements * 2, snapshot.Data.LongLength);
        Assert.True(await context.Engine.ReleaseKvAsync("ctx"));

        var rest = await generation.RunAsync(EngineHarness.Greedy("gen", prompt, MaxTokens, RequestType.GenerationOnly) with { ImportedKv = snapshot, FirstTokens = first.Tokens });
        Assert.Equal(reference.Tokens, rest.Tokens);
        await context.AssertPoolFullAsync();
        await generation.AssertPoolFullAsync();
    }

    [Fact]
    public async Task A_bfloat16_cache_is_not_imported_into_an_fp32_engine_and_the_refusal_names_both_dtypes()
    {
        await using var context = TestModels.Open(TestModels.TinyGqa, Options(4, 1));
        await using var generation = TestModels.Open(TestModels.TinyGqa, Options(4, 1) with { KvCacheDType = KvCacheDType.Float32 });
        var prompt = new[] { 1, 5, 9 };
        await context.RunAsync(EngineHarness.Greedy("ctx", prompt, 4, RequestType.ContextOnly));
        var snapshot = await context.Engine.ExportKvAsync("ctx");

        var result = generation.Engine.Submit(EngineHarness.Greedy("gen", prompt, 4, RequestType.GenerationOnly) with { ImportedKv = snapshot, FirstTokens = [7] }, TestContext.Current.CancellationToken);

        Assert.False(result.Accepted);
        Assert.Contains("layout mismatch", result.Message, StringComparison.Ordinal);
        Assert.Contains("bfloat16", result.Message, StringComparison.Ordinal);
        Assert.Contains("float32", result.Message, StringComparison.Ordinal);
        Assert.True(await context.Engine.ReleaseKvAsync("ctx"));
        await context.AssertPoolFullAsync();
        await generation.AssertPoolFullAsync();
    }
}
