using System.Text;
using Tandem.Engine.Tokenization;

namespace Tandem.Engine.Tests.Tokenization;

public class StreamingDetokenizerTests
{
    public static TheoryData<string> Sources => LlamaTokenizerFixture.AllSources;

    [Theory]
    [MemberData(nameof(Sources))]
    public void Streaming_every_vector_equals_decoding_it_whole(string source)
    {
        var tokenizer = LlamaTokenizerFixture.Get(source);
        foreach (var (text, _) in LlamaTokenizerFixture.Vectors())
        {
            var ids = tokenizer.Encode(text);
            AssertStreamingMatchesDecode(tokenizer, ids);
            AssertStreamingMatchesDecode(tokenizer, [.. ids, 2, .. ids]);
        }
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Streaming_random_ids_equals_decoding_them_whole(string source)
    {
        var tokenizer = LlamaTokenizerFixture.Get(source);
        var random = new Random(20251127);
        for (var round = 0; round < 400; round++)
        {
            var ids = new int[random.Next(0, 24)];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = random.Next(10) switch
                {
                    < 2 => random.Next(0, 3),               // unk, BOS, EOS
                    < 5 => random.Next(3, 3 + 256),         // byte fallback, lone and invalid bytes included
                    < 7 => 3 + 0xE0 + random.Next(0x20),    // lead bytes of 3- and 4-byte characters
                    < 8 => 3 + 0x80 + random.Next(0x40),    // continuation bytes
                    _ => random.Next(tokenizer.VocabSize),
                };
            }

            AssertStreamingMatchesDecode(tokenizer, ids);
        }
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void A_character_split_over_byte_tokens_is_emitted_once_complete(string source)
    {
        var tokenizer = LlamaTokenizerFixture.Get(source);
        var ids = tokenizer.Encode("a 🦙!", addSpecialTokens: false);
        var streamer = tokenizer.CreateStreamingDetokenizer();

        var pieces = ids.Select(streamer.Append).ToList();
        pieces.Add(streamer.Flush());

        Assert.Equal("a 🦙!", string.Concat(pieces));
        Assert.Contains("🦙", pieces);
        Assert.All(pieces, p => Assert.DoesNotContain('\uFFFD', p));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void An_incomplete_character_is_flushed_as_a_replacement_character(string source)
    {
        var tokenizer = LlamaTokenizerFixture.Get(source);
        var lead = tokenizer.TokenToId("<0xF0>")!.Value;
        var continuation = tokenizer.TokenToId("<0x9F>")!.Value;
        var streamer = tokenizer.CreateStreamingDetokenizer();

        Assert.Equal(string.Empty, streamer.Append(lead));
        Assert.Equal(string.Empty, streamer.Append(continuation));
        Assert.Equal("\uFFFD", streamer.Flush());
        Assert.Equal("\uFFFD", tokenizer.Decode([lead, continuation]));
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Special_tokens_are_skipped_or_rendered(string source)
    {
        var tokenizer = LlamaTokenizerFixture.Get(source);
        var ids = tokenizer.Encode("Hi");
        Assert.Equal("Hi", tokenizer.Decode(ids));
        Assert.Equal("<s> Hi", tokenizer.Decode(ids, skipSpecialTokens: false));
        Assert.Equal("Hi</s>", tokenizer.Decode([.. ids, 2], skipSpecialTokens: false)[4..]);
        Assert.Equal(string.Empty, tokenizer.Decode([-1, tokenizer.VocabSize]));
    }

    private static void AssertStreamingMatchesDecode(Tokenizer tokenizer, int[] ids)
    {
        foreach (var skip in new[] { true, false })
        {
            var streamer = tokenizer.CreateStreamingDetokenizer(skip);
            var text = new StringBuilder();
            foreach (var id in ids)
            {
                text.Append(streamer.Append(id));
            }

            text.Append(streamer.Flush());
            Assert.True(
                tokenizer.Decode(ids, skip) == text.ToString(),
                $"ids [{string.Join(' ', ids)}] skip={skip}: streamed \"{text}\", decoded \"{tokenizer.Decode(ids, skip)}\"");
        }
    }
}
