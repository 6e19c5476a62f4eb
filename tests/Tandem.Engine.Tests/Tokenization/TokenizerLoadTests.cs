using System.Text.Json.Nodes;
using Tandem.Engine.Tokenization;

namespace Tandem.Engine.Tests.Tokenization;

public class TokenizerLoadTests
{
    [Fact]
    public void A_missing_directory_is_named()
    {
        var missing = Path.Combine(Path.GetTempPath(), "tandem-no-such-model-dir");
        var error = Assert.Throws<TokenizerLoadException>(() => Tokenizer.Load(missing));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_without_tokenizer_files_says_which_files_it_looked_for()
    {
        using var directory = new TokenizerDirectory();
        var error = Assert.Throws<TokenizerLoadException>(() => Tokenizer.Load(directory.Path));
        Assert.Contains("tokenizer.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("tokenizer.model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Byte_level_bpe_is_reported_as_an_unsupported_tokenizer_type()
    {
        var json = TokenizerDirectory.SmallTokenizerJson();
        json["normalizer"] = null;
        json["pre_tokenizer"] = JsonNode.Parse("""{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}""");
        json["decoder"] = JsonNode.Parse("""{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true}""");
        using var directory = new TokenizerDirectory().With("tokenizer.json", json);

        var error = Assert.Throws<TokenizerLoadException>(() => Tokenizer.Load(directory.Path));
        Assert.Contains("unsupported tokenizer type byte-level BPE", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(directory.Path, "tokenizer.json"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_unigram_model_is_reported_as_an_unsupported_tokenizer_type()
    {
        var json = TokenizerDirectory.SmallTokenizerJson();
        json["model"] = JsonNode.Parse("""{"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0]]}""");
        using var directory = new TokenizerDirectory().With("tokenizer.json", json);

        var error = Assert.Throws<TokenizerLoadException>(() => Tokenizer.Load(directory.Path));
        Assert.Contains("unsupported tokenizer type Unigram in tokenizer.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unsupported_normalizer_is_named()
    {
        var json = TokenizerDirectory.SmallTokenizerJson();
        json["normalizer"] = JsonNode.Parse("""{"type": "NFKC"}""");
        using var directory = new TokenizerDirectory().With("tokenizer.json", json);

        var error = Assert.Throws<TokenizerLoadException>(() => Tokenizer.Load(directory.Path));
        Assert.Contains("unsupported normalizer NFKC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_merge_outside_the_vocabulary_is_named()
    {
        var json = TokenizerDirectory.SmallTokenizerJson();
        json["model"]!["merges"]!.AsArray().Add("b c");
        using var directory = new TokenizerDirectory().With("tokenizer.json", json);

        var error = Assert.Throws<TokenizerLoadException>(() => Tokenizer.Load(directory.Path));
        Assert.Contains("merge 3 (\"b\", \"c\")", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tokenizer.json", "{ \"model\": ")]
    [InlineData("tokenizer_config.json", "[1, 2]")]
    public void Malformed_json_names_its_file(string fileName, string content)
    {
        using var directory = new TokenizerDirectory().With("tokenizer.json", TokenizerDirectory.SmallTokenizerJson()).With(fileName, content);

        var error = Assert.Throws<TokenizerLoadException>(() => Tokenizer.Load(directory.Path));
        Assert.Contains(Path.Combine(directory.Path, fileName), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_sentencepiece_model_names_its_file()
    {
        using var directory = new TokenizerDirectory().With("tokenizer.model", [0x0A, 0x7F, 0x01]);

        var error = Assert.Throws<TokenizerLoadException>(() => Tokenizer.Load(directory.Path));
        Assert.Contains(Path.Combine(directory.Path, "tokenizer.model"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merges_as_strings_and_as_pairs_encode_alike()
    {
        using var strings = new TokenizerDirectory().With("tokenizer.json", TokenizerDirectory.SmallTokenizerJson());
        using var pairs = new TokenizerDirectory().With("tokenizer.json", TokenizerDirectory.SmallTokenizerJson(arrayMerges: true));

        int[] expected = [9, 9, 7, 6];
        Assert.Equal(expected, Tokenizer.Load(strings.Path).Encode("ab ab ac", addSpecialTokens: false));
        Assert.Equal(expected, Tokenizer.Load(pairs.Path).Encode("ab ab ac", addSpecialTokens: false));
    }

    [Fact]
    public void Without_a_config_bos_comes_from_the_post_processor_template()
    {
        var json = TokenizerDirectory.SmallTokenizerJson();
        json["post_processor"] = JsonNode.Parse("""
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
            """);
        using var withTemplate = new TokenizerDirectory().With("tokenizer.json", json);
        using var without = new TokenizerDirectory().With("tokenizer.json", TokenizerDirectory.SmallTokenizerJson());

        Assert.Equal([1, 7], Tokenizer.Load(withTemplate.Path).Encode("a"));
        Assert.Equal([7], Tokenizer.Load(without.Path).Encode("a"));
    }

    [Fact]
    public void Unknown_characters_without_byte_fallback_fuse_into_one_unk()
    {
        using var directory = new TokenizerDirectory().With("tokenizer.json", TokenizerDirectory.SmallTokenizerJson());
        var tokenizer = Tokenizer.Load(directory.Path);

        Assert.Equal([9, 0, 4], tokenizer.Encode("abxyza", addSpecialTokens: false));
        Assert.Equal("ab a", tokenizer.Decode([9, 0, 3, 4]));
        Assert.Equal("ab<unk> a", tokenizer.Decode([9, 0, 3, 4], skipSpecialTokens: false));
    }

    [Fact]
    public void Special_tokens_may_be_objects_and_add_eos_token_appends_eos()
    {
        var config = new JsonObject
        {
            ["add_bos_token"] = false,
            ["add_eos_token"] = true,
            ["bos_token"] = new JsonObject { ["content"] = "<s>", ["lstrip"] = false },
            ["eos_token"] = new JsonObject { ["content"] = "</s>", ["special"] = true },
            ["unk_token"] = "<unk>",
        };
        using var directory = new TokenizerDirectory().With("tokenizer.json", TokenizerDirectory.SmallTokenizerJson()).With("tokenizer_config.json", config);
        var tokenizer = Tokenizer.Load(directory.Path);

        Assert.Equal(("<s>", 1, "</s>", 2), (tokenizer.BosToken, tokenizer.BosId, tokenizer.EosToken, tokenizer.EosId));
        Assert.False(tokenizer.AddBos);
        Assert.True(tokenizer.AddEos);
        Assert.Equal([7, 2], tokenizer.Encode("a"));
        Assert.Equal([7], tokenizer.Encode("a", addSpecialTokens: false));
    }

    [Fact]
    public void A_configured_special_token_outside_the_vocabulary_is_named()
    {
        using var directory = new TokenizerDirectory()
            .With("tokenizer.json", TokenizerDirectory.SmallTokenizerJson())
            .With("tokenizer_config.json", """{"eos_token": {"content": "<|eot_id|>"}}""");

        var error = Assert.Throws<TokenizerLoadException>(() => Tokenizer.Load(directory.Path));
        Assert.Contains("eos_token \"<|eot_id|>\"", error.Message, StringComparison.Ordinal);
        Assert.Contains(directory.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Special_tokens_map_fills_in_what_the_config_leaves_out()
    {
        var json = TokenizerDirectory.SmallTokenizerJson();
        json["added_tokens"]!.AsArray().Add(TokenizerDirectory.AddedToken(10, "<eot>"));
        var map = new JsonObject { ["bos_token"] = "<s>", ["eos_token"] = new JsonObject { ["content"] = "<eot>" } };
        using var directory = new TokenizerDirectory()
            .With("tokenizer.json", json)
            .With("special_tokens_map.json", map)
            .With("tokenizer_config.json", """{"add_bos_token": true, "eos_token": null}""");
        var tokenizer = Tokenizer.Load(directory.Path);

        Assert.Equal(10, tokenizer.EosId);
        Assert.Equal(11, tokenizer.VocabSize);
        Assert.True(tokenizer.AddBos);
        Assert.Equal([1, 7, 10, 3, 7], tokenizer.Encode("a<eot> a"));
    }

    [Fact]
    public void Metaspace_with_prepend_scheme_first_prefixes_only_the_start_of_the_text()
    {
        var json = TokenizerDirectory.SmallTokenizerJson();
        json["normalizer"] = null;
        json["pre_tokenizer"] = JsonNode.Parse("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}""");
        json["decoder"] = JsonNode.Parse("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}""");
        using var directory = new TokenizerDirectory().With("tokenizer.json", json);
        var tokenizer = Tokenizer.Load(directory.Path);

        Assert.Equal([7, 1, 8], tokenizer.Encode("a<s>ab", addSpecialTokens: false));
        Assert.Equal([7], tokenizer.Encode(" a", addSpecialTokens: false));
        Assert.Equal("a<s>ab", tokenizer.Decode([7, 1, 8], skipSpecialTokens: false));
    }

    [Fact]
    public void Added_tokens_with_lstrip_and_rstrip_swallow_the_spaces_around_them()
    {
        var json = TokenizerDirectory.SmallTokenizerJson();
        json["added_tokens"]!.AsArray().Add(TokenizerDirectory.AddedToken(10, "<m>", special: false, lstrip: true, rstrip: true));
        using var directory = new TokenizerDirectory().With("tokenizer.json", json);
        var tokenizer = Tokenizer.Load(directory.Path);

        Assert.Equal([7, 10, 7], tokenizer.Encode("a  <m>  a", addSpecialTokens: false));
        Assert.False(tokenizer.IsSpecial(10));
    }
}
