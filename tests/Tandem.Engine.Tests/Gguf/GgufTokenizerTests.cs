using Tandem.Engine.Models;
using Tandem.Engine.Tests.Tokenization;
using Tandem.Engine.Tokenization;

namespace Tandem.Engine.Tests.Gguf;

/// <summary>
/// The tokenizer a GGUF file carries in its <c>tokenizer.ggml.*</c> metadata. The llama.cpp vectors
/// run against the Llama-2 vocab-only GGUF in <see cref="LlamaVectorTests"/> (source "…/gguf").
/// </summary>
public class GgufTokenizerTests
{
    private const uint U32 = 4, I32 = 5, F32 = 6, Bool = 7, Str = 8, Arr = 9;

    private static readonly string[] Pieces = ["<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab", "▁ab"];

    [Fact]
    public void Stories_gguf_tokenizer_encodes_and_decodes_as_its_hugging_face_directory()
    {
        var fromGguf = LlamaTokenizerFixture.Get(LlamaTokenizerFixture.Stories + "/gguf");
        var fromDirectory = LlamaTokenizerFixture.Get(LlamaTokenizerFixture.Stories + "/json");
        Assert.Equal(fromDirectory.VocabSize, fromGguf.VocabSize);
        for (var id = 0; id < fromGguf.VocabSize; id++)
        {
            Assert.Equal(fromDirectory.IdToToken(id), fromGguf.IdToToken(id));
            Assert.Equal(fromDirectory.IsSpecial(id), fromGguf.IsSpecial(id));
        }

        foreach (var (text, _) in LlamaTokenizerFixture.Vectors())
        {
            var ids = fromDirectory.Encode(text);
            Assert.Equal(ids, fromGguf.Encode(text));
            Assert.Equal(fromDirectory.Encode(text, addSpecialTokens: false), fromGguf.Encode(text, addSpecialTokens: false));
            Assert.Equal(fromDirectory.Decode(ids), fromGguf.Decode(ids));
            Assert.Equal(fromDirectory.Decode(ids, skipSpecialTokens: false), fromGguf.Decode(ids, skipSpecialTokens: false));
        }
    }

    [Fact]
    public void Llama_vocab_gguf_gives_the_special_ids_and_flags_of_its_metadata()
    {
        var tokenizer = LlamaTokenizerFixture.Get(LlamaTokenizerFixture.LlamaGguf);
        Assert.Equal(32000, tokenizer.VocabSize);
        Assert.Equal((1, 2, "<s>", "</s>"), (tokenizer.BosId, tokenizer.EosId, tokenizer.BosToken, tokenizer.EosToken));
        Assert.Equal((true, false), (tokenizer.AddBos, tokenizer.AddEos));
        Assert.Null(tokenizer.PadId);
        Assert.True(tokenizer.IsSpecial(0));
        Assert.False(tokenizer.IsSpecial(3));
    }

    [Fact]
    public void A_hand_written_vocabulary_follows_its_flags_and_scores()
    {
        using var dir = new TempDirectory();
        var path = Write(dir, Vocabulary()
            .Kv("tokenizer.ggml.padding_token_id", U32, w => w.Write(0u))
            .Kv("tokenizer.ggml.add_bos_token", Bool, w => w.Write((byte)0))
            .Kv("tokenizer.ggml.add_eos_token", Bool, w => w.Write((byte)1))
            .Kv("tokenizer.ggml.add_space_prefix", Bool, w => w.Write((byte)0))
            .Kv("tokenizer.chat_template", Str, w => GgufBytes.Str(w, "{{ messages }}")));

        var tokenizer = Tokenizer.LoadGguf(path);
        Assert.Equal(0, tokenizer.PadId);
        Assert.Equal((false, true), (tokenizer.AddBos, tokenizer.AddEos));
        Assert.Equal([7, 2], tokenizer.Encode("ab"));
        Assert.Equal([8], tokenizer.Encode(" ab", addSpecialTokens: false));
        Assert.Equal("ab", tokenizer.Decode([7, 2]));
        using var file = Engine.Gguf.GgufFile.Open(path);
        Assert.Equal("{{ messages }}", Tokenizer.GgufChatTemplate(file));
    }

    [Fact]
    public void Absent_flags_take_the_llama_defaults()
    {
        using var dir = new TempDirectory();
        var tokenizer = Tokenizer.LoadGguf(Write(dir, Vocabulary()));
        Assert.Equal((true, false, 1, 2), (tokenizer.AddBos, tokenizer.AddEos, tokenizer.BosId, tokenizer.EosId));
        Assert.Equal([1, 8], tokenizer.Encode("ab"));
        Assert.Null(tokenizer.PadId);
    }

    [Theory]
    [InlineData("gpt2", "'tokenizer.ggml.model' is \"gpt2\"")]
    [InlineData("missing-model", "'tokenizer.ggml.model' is missing")]
    [InlineData("model-u32", "'tokenizer.ggml.model' is UInt32, expected a string")]
    [InlineData("missing-tokens", "'tokenizer.ggml.tokens' is missing")]
    [InlineData("tokens-i32", "'tokenizer.ggml.tokens' is Int32[], expected an array of String")]
    [InlineData("scores-strings", "'tokenizer.ggml.scores' is String[], expected an array of numbers")]
    [InlineData("missing-types", "'tokenizer.ggml.token_type' is missing")]
    [InlineData("short-types", "'tokenizer.ggml.token_type' has 2 entries, 'tokenizer.ggml.tokens' has 9")]
    [InlineData("type-9", "'tokenizer.ggml.token_type' gives token 0 type 9")]
    [InlineData("bos-99", "'tokenizer.ggml.bos_token_id' is 99, outside the 9 tokens")]
    [InlineData("add-bos-string", "'tokenizer.ggml.add_bos_token' is String, expected a bool")]
    public void Bad_metadata_is_one_error_naming_the_file_and_the_key(string fault, string expected)
    {
        var bytes = new GgufBytes().Kv("general.architecture", Str, w => GgufBytes.Str(w, "llama"));
        bytes = fault switch
        {
            "gpt2" => bytes.Kv("tokenizer.ggml.model", Str, w => GgufBytes.Str(w, "gpt2")),
            "missing-model" => bytes,
            "model-u32" => bytes.Kv("tokenizer.ggml.model", U32, w => w.Write(1u)),
            _ => bytes.Kv("tokenizer.ggml.model", Str, w => GgufBytes.Str(w, "llama")),
        };

        if (fault != "missing-tokens")
        {
            bytes = fault == "tokens-i32" ? bytes.Kv("tokenizer.ggml.tokens", Arr, w => Ints(w, [1, 2])) : bytes.Kv("tokenizer.ggml.tokens", Arr, w => Strings(w, Pieces));
        }

        bytes = fault == "scores-strings" ? bytes.Kv("tokenizer.ggml.scores", Arr, w => Strings(w, Pieces)) : bytes.Kv("tokenizer.ggml.scores", Arr, Scores);
        bytes = fault switch
        {
            "missing-types" => bytes,
            "short-types" => bytes.Kv("tokenizer.ggml.token_type", Arr, w => Ints(w, [2, 3])),
            "type-9" => bytes.Kv("tokenizer.ggml.token_type", Arr, w => Ints(w, [9, 3, 3, 1, 1, 1, 1, 1, 1])),
            _ => bytes.Kv("tokenizer.ggml.token_type", Arr, Types),
        };

        if (fault == "bos-99")
        {
            bytes = bytes.Kv("tokenizer.ggml.bos_token_id", U32, w => w.Write(99u));
        }

        if (fault == "add-bos-string")
        {
            bytes = bytes.Kv("tokenizer.ggml.add_bos_token", Str, w => GgufBytes.Str(w, "yes"));
        }

        using var dir = new TempDirectory();
        var path = Write(dir, bytes);
        var error = Assert.Throws<TokenizerLoadException>(() => Tokenizer.LoadGguf(path));
        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_gguf_is_a_model_load_error()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "t.gguf");
        File.WriteAllBytes(path, new byte[64]);
        Assert.Throws<ModelLoadException>(() => Tokenizer.LoadGguf(path));
    }

    /// <summary>
    /// <c>&lt;unk&gt; &lt;s&gt; &lt;/s&gt; ▁ a b ▁a ab ▁ab</c>, merges ranked by score (ab, ▁a, ▁ab).
    /// </summary>
    private static GgufBytes Vocabulary() => new GgufBytes()
        .Kv("general.architecture", Str, w => GgufBytes.Str(w, "llama"))
        .Kv("tokenizer.ggml.model", Str, w => GgufBytes.Str(w, "llama"))
        .Kv("tokenizer.ggml.tokens", Arr, w => Strings(w, Pieces))
        .Kv("tokenizer.ggml.scores", Arr, Scores)
        .Kv("tokenizer.ggml.token_type", Arr, Types);

    private static void Strings(BinaryWriter w, string[] values)
    {
        w.Write(Str);
        w.Write((ulong)values.Length);
        foreach (var value in values)
        {
            GgufBytes.Str(w, value);
        }
    }

    private static void Ints(BinaryWriter w, int[] values)
    {
        w.Write(I32);
        w.Write((ulong)values.Length);
        foreach (var value in values)
        {
            w.Write(value);
        }
    }

    private static void Scores(BinaryWriter w)
    {
        float[] scores = [0, 0, 0, -1, -2, -3, -5, -4, -6];
        w.Write(F32);
        w.Write((ulong)scores.Length);
        foreach (var score in scores)
        {
            w.Write(score);
        }
    }

    private static void Types(BinaryWriter w) => Ints(w, [2, 3, 3, 1, 1, 1, 1, 1, 1]);

    private static string Write(TempDirectory dir, GgufBytes bytes)
    {
        var path = Path.Combine(dir.Path, "tokenizer.gguf");
        File.WriteAllBytes(path, bytes.ToArray());
        return path;
    }
}
