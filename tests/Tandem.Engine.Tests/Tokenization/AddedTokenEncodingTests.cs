using System.Text.Json.Nodes;
using Tandem.Engine.Tokenization;

namespace Tandem.Engine.Tests.Tokenization;

public class AddedTokenEncodingTests
{
    public static TheoryData<string> Sources => LlamaTokenizerFixture.Sources;

    [Theory]
    [MemberData(nameof(Sources))]
    public void Special_tokens_in_the_text_become_their_ids(string source)
    {
        var tokenizer = LlamaTokenizerFixture.Get(source);

        // Each piece of text between added tokens gets its own "▁" prefix (the legacy Llama normalizer).
        Assert.Equal([1, 15043, 2], tokenizer.Encode("<s>Hello</s>", addSpecialTokens: false));
        Assert.Equal([1, 1, 15043], tokenizer.Encode("<s>Hello"));
        Assert.DoesNotContain(1, tokenizer.Encode("<s >", addSpecialTokens: false));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void A_rendered_chat_prompt_encodes_piece_by_piece(string source)
    {
        var tokenizer = LlamaTokenizerFixture.Get(source);
        var prompt = "<|user|>\nHi there</s>\n<|assistant|>\n";

        int[] expected =
        [
            .. tokenizer.Encode("<|user|>\nHi there", addSpecialTokens: false),
            2,
            .. tokenizer.Encode("\n<|assistant|>\n", addSpecialTokens: false),
        ];

        Assert.Equal(expected, tokenizer.Encode(prompt, addSpecialTokens: false));
        // As Hugging Face decodes it: the "▁" prefixes of the pieces after special tokens come back as spaces.
        Assert.Equal("<s> <|user|>\nHi there</s> \n<|assistant|>\n", tokenizer.Decode(tokenizer.Encode(prompt), skipSpecialTokens: false));
        Assert.Equal("<|user|>\nHi there \n<|assistant|>\n", tokenizer.Decode(tokenizer.Encode(prompt)));
    }

    [Fact]
    public void Added_tokens_decoder_extends_a_sentencepiece_vocabulary()
    {
        var shared = SharedData.Require("models", LlamaTokenizerFixture.TinyLlama);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(shared, "tokenizer_config.json")))!.AsObject();
        config["added_tokens_decoder"]!["32000"] = new JsonObject { ["content"] = "<|user|>", ["special"] = true };
        config["added_tokens_decoder"]!["32001"] = new JsonObject { ["content"] = "<|end|>", ["special"] = false };
        using var directory = new TokenizerDirectory()
            .With("tokenizer.model", File.ReadAllBytes(Path.Combine(shared, "tokenizer.model")))
            .With("tokenizer_config.json", config);
        var tokenizer = Tokenizer.Load(directory.Path);

        Assert.Equal(32002, tokenizer.VocabSize);
        Assert.Equal(32000, tokenizer.TokenToId("<|user|>"));
        Assert.True(tokenizer.IsSpecial(32000));
        Assert.False(tokenizer.IsSpecial(32001));
        Assert.Equal([1, 32000, 29871, 13, 10994, 32001], tokenizer.Encode("<|user|>\nHello<|end|>"));
        Assert.Equal("\nHello<|end|>", tokenizer.Decode([1, 32000, 29871, 13, 10994, 32001]));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Long_inputs_round_trip(string source)
    {
        var tokenizer = LlamaTokenizerFixture.Get(source);
        var story = File.ReadAllText(SharedData.Require("golden", "stories260K-greedy-256.txt"));
        var text = string.Concat(Enumerable.Repeat(story, 20));
        var word = string.Concat(Enumerable.Repeat("ab😀c", 10_000));

        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        Assert.Equal(word, tokenizer.Decode(tokenizer.Encode(word)));
    }
}
