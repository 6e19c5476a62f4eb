using Tandem.Engine.Execution;
using Tandem.Engine.Runtime;
using Tandem.Engine.Sampling;
using Tandem.Engine.Tokenization;

namespace Tandem.Server.Generation;

/// <summary>A generated token with its text and, when asked for, its logprobs.</summary>
internal readonly record struct GeneratedToken(int TokenId, string Text, float Logprob, TokenLogprob[]? TopLogprobs);

/// <summary>A piece of output ready to send: new text and the tokens it came from.</summary>
internal sealed record TextDelta(string Text, IReadOnlyList<GeneratedToken> Tokens);

/// <summary>How a run ended. <see cref="FinishReason"/> is OpenAI's word (stop, length, not_finished) or null on failure.</summary>
internal sealed record RunResult(
    string? FinishReason,
    int PromptTokens,
    int CompletionTokens,
    IReadOnlyList<int> GeneratedTokenIds,
    Engine.Execution.FinishReason EngineReason,
    string? Message,
    RequestMetrics? EngineMetrics = null);

/// <summary>
/// Turns a submitted request's token events into text deltas: streaming detokenization (a UTF-8
/// character split across tokens is emitted once, complete), stop strings matched across token
/// boundaries (never emitted, and the engine request cancelled at once), and per-token logprobs.
/// </summary>
internal static class GenerationRun
{
    public static async Task<RunResult> RunAsync(
        LocalModel model,
        RequestHandle handle,
        int promptTokens,
        IReadOnlyList<string> stops,
        bool wantLogprobs,
        Func<TextDelta, ValueTask> onDelta,
        Action<bool>? onToken,
        CancellationToken cancellationToken)
    {
        var tokenizer = model.Tokenizer;
        var detokenizer = tokenizer.CreateStreamingDetokenizer();
        var matcher = new StopStringMatcher(stops);
        var pending = new List<GeneratedToken>();
        var generated = new List<int>();
        using var cancel = cancellationToken.Register(handle.Cancel);

        await foreach (var e in handle.Events.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (e.IsFinal)
            {
                if (matcher.Matched)
                {
                    return new RunResult("stop", promptTokens, generated.Count, generated, Engine.Execution.FinishReason.Stop, null, e.Metrics);
                }

                var rest = matcher.Push(detokenizer.Flush()) + matcher.Flush();
                if (rest.Length > 0 || pending.Count > 0)
                {
                    await onDelta(new TextDelta(rest, Snapshot(pending))).ConfigureAwait(false);
                }

                return new RunResult(OpenAiReason(e.Finish), promptTokens, generated.Count, generated, e.Finish, e.Message, e.Metrics);
            }

            if (matcher.Matched)
            {
                continue; // the stop string was found; the cancellation is on its way
            }

            generated.Add(e.TokenId);
            onToken?.Invoke(e.Imported);
            var piece = model.IsEndOfSequence(e.TokenId) ? string.Empty : detokenizer.Append(e.TokenId);
            if (wantLogprobs)
            {
                pending.Add(new GeneratedToken(e.TokenId, TokenText(tokenizer, e.TokenId), e.Logprob, e.TopLogprobs));
            }

            var text = matcher.Push(piece);
            if (matcher.Matched)
            {
                handle.Cancel();
            }

            if (text.Length > 0 || (matcher.Matched && pending.Count > 0))
            {
                await onDelta(new TextDelta(text, Snapshot(pending))).ConfigureAwait(false);
                pending.Clear();
            }
        }

        throw new InvalidOperationException("the engine closed a request's stream without a final event");
    }

    /// <summary>The tokens a delta carries; no copy on the common path without logprobs.</summary>
    private static IReadOnlyList<GeneratedToken> Snapshot(List<GeneratedToken> pending) => pending.Count == 0 ? [] : [.. pending];

    /// <summary>The text a token stands for on its own: SentencePiece's ▁ as a space.</summary>
    public static string TokenText(Tokenizer tokenizer, int tokenId) =>
        (tokenizer.IdToToken(tokenId) ?? string.Empty).Replace('\u2581', ' ');

    private static string? OpenAiReason(Engine.Execution.FinishReason reason) => reason switch
    {
        Engine.Execution.FinishReason.Stop => "stop",
        Engine.Execution.FinishReason.Length => "length",
        Engine.Execution.FinishReason.ContextDone => "not_finished",
        _ => null,
    };
}
