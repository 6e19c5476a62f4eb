using System.Diagnostics;
using Tandem.Engine.ChatTemplates;
using Tandem.Engine.Execution;
using Tandem.Engine.Sampling;

namespace Tandem.Engine.Runtime;

/// <summary>What <see cref="TextGenerator.GenerateAsync"/> did, with its timing.</summary>
public sealed record GenerationReport(
    int PromptTokens,
    int GeneratedTokens,
    FinishReason Finish,
    string? Message,
    TimeSpan Prefill,
    TimeSpan Decode)
{
    /// <summary>Prompt tokens per second (time from submission to the first token).</summary>
    public double PrefillTokensPerSecond => PromptTokens / Math.Max(Prefill.TotalSeconds, 1e-9);

    /// <summary>Tokens per second after the first one.</summary>
    public double DecodeTokensPerSecond => (GeneratedTokens - 1) / Math.Max(Decode.TotalSeconds, 1e-9);
}

/// <summary>Text in, text out on a <see cref="LocalModel"/>: tokenizes, optionally applies the chat template, streams the detokenized text.</summary>
public static class TextGenerator
{
    public static async Task<GenerationReport> GenerateAsync(
        LocalModel model,
        string prompt,
        bool chat,
        int maxTokens,
        SamplingParams sampling,
        Action<string> onText,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(onText);
        var tokens = chat ? model.EncodeChat([new ChatMessage("user", prompt)]) : model.Tokenizer.Encode(prompt);
        var request = new EngineRequest
        {
            Id = Guid.NewGuid().ToString("N"),
            PromptTokens = tokens,
            MaxTokens = maxTokens,
            Sampling = sampling,
        };
        var started = Stopwatch.GetTimestamp();
        var submitted = model.Engine.Submit(request, cancellationToken);
        if (!submitted.Accepted)
        {
            return new GenerationReport(tokens.Length, 0, FinishReason.Rejected, submitted.Message, TimeSpan.Zero, TimeSpan.Zero);
        }

        var detokenizer = model.Tokenizer.CreateStreamingDetokenizer();
        long firstToken = 0;
        long lastToken = 0;
        var generated = 0;
        await foreach (var e in submitted.Handle!.Events.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (e.IsFinal)
            {
                onText(detokenizer.Flush());
                var prefill = Stopwatch.GetElapsedTime(started, firstToken == 0 ? Stopwatch.GetTimestamp() : firstToken);
                var decode = firstToken == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(firstToken, lastToken);
                return new GenerationReport(tokens.Length, generated, e.Finish, e.Message, prefill, decode);
            }

            lastToken = Stopwatch.GetTimestamp();
            if (generated++ == 0)
            {
                firstToken = lastToken;
            }

            if (!model.IsEndOfSequence(e.TokenId))
            {
                onText(detokenizer.Append(e.TokenId));
            }
        }

        throw new InvalidOperationException("the engine closed a request's stream without a final event");
    }
}
