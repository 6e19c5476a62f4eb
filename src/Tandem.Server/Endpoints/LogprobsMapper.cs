using System.Text;
using Tandem.Contracts;
using Tandem.Engine.Tokenization;
using Tandem.Server.Generation;

namespace Tandem.Server.Endpoints;

/// <summary>Per-token logprobs in the two OpenAI shapes: the legacy completions lists, and chat's content entries.</summary>
internal static class LogprobsMapper
{
    public static CompletionLogprobs Completion(IReadOnlyList<GeneratedToken> tokens, Tokenizer tokenizer, int textOffset)
    {
        var texts = new List<string>(tokens.Count);
        var values = new List<float?>(tokens.Count);
        var tops = new List<IReadOnlyDictionary<string, float>?>(tokens.Count);
        var offsets = new List<int>(tokens.Count);
        foreach (var token in tokens)
        {
            texts.Add(token.Text);
            values.Add(float.IsNaN(token.Logprob) ? null : token.Logprob);
            offsets.Add(textOffset);
            textOffset += token.Text.Length;
            var top = new Dictionary<string, float>();
            foreach (var alternative in token.TopLogprobs ?? [])
            {
                top.TryAdd(GenerationRun.TokenText(tokenizer, alternative.TokenId), alternative.Logprob);
            }

            tops.Add(top);
        }

        return new CompletionLogprobs { Tokens = texts, TokenLogprobs = values, TopLogprobs = tops, TextOffset = offsets };
    }

    public static ChatLogprobs Chat(IReadOnlyList<GeneratedToken> tokens, Tokenizer tokenizer) => new()
    {
        Content = [.. tokens.Select(t => new ChatTokenLogprob
        {
            Token = t.Text,
            Logprob = float.IsNaN(t.Logprob) ? 0 : t.Logprob, // a first token sampled on the context server has no logprob here
            Bytes = Bytes(t.Text),
            TopLogprobs = [.. (t.TopLogprobs ?? []).Select(a =>
            {
                var text = GenerationRun.TokenText(tokenizer, a.TokenId);
                return new ChatTopLogprob { Token = text, Logprob = a.Logprob, Bytes = Bytes(text) };
            })],
        })],
    };

    private static int[] Bytes(string text) => [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)];
}
