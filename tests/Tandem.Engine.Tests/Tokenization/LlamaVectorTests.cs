namespace Tandem.Engine.Tests.Tokenization;

public class LlamaVectorTests
{
    public static TheoryData<string> Sources => LlamaTokenizerFixture.Sources;

    [Theory]
    [MemberData(nameof(Sources))]
    public void Every_llama_cpp_vector_encodes_to_the_sentencepiece_ids(string source)
    {
        var tokenizer = LlamaTokenizerFixture.Get(source);
        var vectors = LlamaTokenizerFixture.Vectors();
        Assert.Equal(46, vectors.Count);
        var failures = vectors
            .Where(v => !tokenizer.Encode(v.Text, addSpecialTokens: false).SequenceEqual(v.Ids))
            .Select(v => $"{Escape(v.Text)}: expected [{string.Join(' ', v.Ids)}], got [{string.Join(' ', tokenizer.Encode(v.Text, addSpecialTokens: false))}]")
            .ToList();
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Every_llama_cpp_vector_decodes_back_to_its_text(string source)
    {
        var tokenizer = LlamaTokenizerFixture.Get(source);
        foreach (var (text, ids) in LlamaTokenizerFixture.Vectors())
        {
            Assert.Equal(text, tokenizer.Decode(ids));
        }
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Encoding_with_special_tokens_puts_bos_first(string source)
    {
        var tokenizer = LlamaTokenizerFixture.Get(source);
        Assert.Equal([1, 15043, 3186], tokenizer.Encode("Hello world"));
        Assert.Equal([1], tokenizer.Encode(string.Empty));
    }

    private static string Escape(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
