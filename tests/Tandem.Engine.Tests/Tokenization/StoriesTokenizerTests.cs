using System.Text.Json;

namespace Tandem.Engine.Tests.Tokenization;

public class StoriesTokenizerTests
{
    public static TheoryData<string> Sources => [LlamaTokenizerFixture.Stories + "/json", LlamaTokenizerFixture.Stories + "/model", LlamaTokenizerFixture.Stories + "/gguf"];

    [Theory]
    [MemberData(nameof(Sources))]
    public void Prompt_encodes_to_the_golden_prompt_ids(string source)
    {
        var tokenizer = LlamaTokenizerFixture.Get(source);
        var golden = Golden();

        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal(golden.PromptIds, tokenizer.Encode(golden.Prompt));
        Assert.Equal(golden.PromptIds[1..], tokenizer.Encode(golden.Prompt, addSpecialTokens: false));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Prompt_and_generated_ids_decode_to_the_start_of_the_reference_text(string source)
    {
        var tokenizer = LlamaTokenizerFixture.Get(source);
        var golden = Golden();

        // The reference file is the C implementation's stdout: the prompt, then the continuation.
        var reference = File.ReadAllText(SharedData.Require("golden", "stories260K-greedy-256.txt"));
        var decoded = tokenizer.Decode([.. golden.PromptIds, .. golden.GeneratedIds]);

        Assert.Equal(golden.Prompt + golden.GeneratedText, decoded);
        Assert.StartsWith(decoded, reference, StringComparison.Ordinal);
        Assert.Equal(golden.GeneratedText, tokenizer.Decode(golden.GeneratedIds));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Special_tokens_come_from_the_config_or_metadata(string source)
    {
        var tokenizer = LlamaTokenizerFixture.Get(source);

        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
        Assert.Equal("<s>", tokenizer.BosToken);
        Assert.Equal("</s>", tokenizer.EosToken);
        Assert.True(tokenizer.AddBos);
        Assert.False(tokenizer.AddEos);
        Assert.True(tokenizer.IsSpecial(0));
        Assert.True(tokenizer.IsSpecial(2));
        Assert.False(tokenizer.IsSpecial(3));
        Assert.Equal("<0x00>", tokenizer.IdToToken(3));
        Assert.Equal(3, tokenizer.TokenToId("<0x00>"));
        Assert.Null(tokenizer.IdToToken(512));
        Assert.Null(tokenizer.TokenToId("no such token"));
    }

    private static (string Prompt, int[] PromptIds, int[] GeneratedIds, string GeneratedText) Golden()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(SharedData.Require("golden", "stories260K-greedy-64-with-logits.json")));
        var root = json.RootElement;
        return (
            root.GetProperty("prompt").GetString()!,
            [.. root.GetProperty("prompt_ids_with_bos").EnumerateArray().Select(e => e.GetInt32())],
            [.. root.GetProperty("greedy_ids").EnumerateArray().Select(e => e.GetInt32())],
            root.GetProperty("greedy_text").GetString()!);
    }
}
