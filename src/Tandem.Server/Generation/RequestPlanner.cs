using Tandem.Contracts;
using Tandem.Engine.ChatTemplates;
using Tandem.Engine.Execution;
using Tandem.Engine.Sampling;

namespace Tandem.Server.Generation;

/// <summary>
/// Turns a parsed OpenAI request into a <see cref="GenerationPlan"/>, or the 400/404 that refuses it:
/// model name, prompt (text, token ids, or messages through the chat template), limits and sampling.
/// </summary>
internal static class RequestPlanner
{
    /// <summary>OpenAI's default for completions when max_tokens is absent.</summary>
    private const int DefaultCompletionMaxTokens = 16;

    public static (GenerationPlan? Plan, ErrorResponse? Error) PlanCompletion(CompletionRequest request, ServerState state, string requestId)
    {
        if (Common(request, state) is { } error)
        {
            return (null, error);
        }

        int[] prompt;
        if (request.Prompt.IsText)
        {
            prompt = state.Model.Tokenizer.Encode(request.Prompt.Text);
        }
        else
        {
            prompt = [.. request.Prompt.TokenIds];
        }

        var maxTokens = request.MaxTokens ?? DefaultCompletionMaxTokens;
        var echo = request.Echo == true ? (request.Prompt.IsText ? request.Prompt.Text : state.Model.Tokenizer.Decode(prompt)) : null;
        return Finish(request, state, requestId, prompt, maxTokens, request.Logprobs, echo);
    }

    public static (GenerationPlan? Plan, ErrorResponse? Error) PlanChat(ChatCompletionRequest request, ServerState state, string requestId)
    {
        if (Common(request, state) is { } error)
        {
            return (null, error);
        }

        int[] prompt;
        if (request.PromptTokenIds is { } ids)
        {
            prompt = [.. ids];
        }
        else
        {
            try
            {
                var messages = request.Messages.Select(m => new ChatMessage(m.Role, m.Content ?? string.Empty)).ToList();
                prompt = state.Model.EncodeChat(messages);
            }
            catch (ChatTemplateException ex)
            {
                return (null, ErrorResponse.InvalidRequest($"The chat template could not render these messages: {ex.Message}", "messages"));
            }
        }

        var maxTokens = request.MaxOutputTokens ?? Math.Max(1, state.Model.Engine.MaxSeqLen - prompt.Length);
        int? logprobs = request.Logprobs == true ? request.TopLogprobs ?? 0 : null;
        if (request.Logprobs != true && request.TopLogprobs is not null)
        {
            return (null, ErrorResponse.InvalidRequest("top_logprobs needs logprobs set to true.", "top_logprobs"));
        }

        return Finish(request, state, requestId, prompt, maxTokens, logprobs, echo: null);
    }

    private static ErrorResponse? Common(GenerationRequest request, ServerState state)
    {
        if (!state.Serves(request.Model))
        {
            return ErrorResponse.ModelNotFound(request.Model);
        }

        if (request.N is > 1 and var n)
        {
            if (request.DisaggregatedParams is not null)
            {
                return ErrorResponse.InvalidRequest($"n = {n} is not supported on a disaggregated leg (disaggregated_params): each leg carries one choice.", "n");
            }

            if (n > state.Settings.MaxBatchSize)
            {
                return ErrorResponse.InvalidRequest($"n = {n} is more choices than this server runs at once (max_batch_size {state.Settings.MaxBatchSize}).", "n");
            }
        }

        if (request.DisaggregatedParams is { } disaggregated)
        {
            if (state.Disaggregation.CheckRole(disaggregated.RequestType) is { } roleError)
            {
                return roleError;
            }

            if (disaggregated.RequestType == DisaggregatedRequestType.GenerationOnly && disaggregated.FirstGenTokens is not { Count: > 0 })
            {
                return ErrorResponse.InvalidRequest("A generation_only request needs disaggregated_params.first_gen_tokens from the context server's answer.", "disaggregated_params.first_gen_tokens");
            }
        }

        if (request.Seed is < 0)
        {
            return ErrorResponse.InvalidRequest($"seed must not be negative (got {request.Seed}).", "seed");
        }

        return null;
    }

    private static (GenerationPlan? Plan, ErrorResponse? Error) Finish(GenerationRequest request, ServerState state, string requestId, int[] prompt, int maxTokens, int? logprobs, string? echo)
    {
        var sampling = new SamplingParams
        {
            Temperature = (float)(request.Temperature ?? 1.0),
            TopP = (float)(request.TopP ?? 1.0),
            TopK = request.TopK ?? 0,
            MinP = (float)(request.MinP ?? 0),
            Seed = request.Seed is { } seed ? (ulong)seed : null,
            PresencePenalty = (float)(request.PresencePenalty ?? 0),
            FrequencyPenalty = (float)(request.FrequencyPenalty ?? 0),
            RepetitionPenalty = (float)(request.RepetitionPenalty ?? 1.0),
            Logprobs = logprobs,
        };
        var disaggregated = request.DisaggregatedParams;
        var type = disaggregated?.RequestType switch
        {
            DisaggregatedRequestType.ContextOnly => RequestType.ContextOnly,
            DisaggregatedRequestType.GenerationOnly => RequestType.GenerationOnly,
            _ => RequestType.ContextAndGeneration,
        };
        var engineRequest = new EngineRequest
        {
            Id = requestId,
            Type = type,
            FirstTokens = type == RequestType.GenerationOnly ? disaggregated!.FirstGenTokens! : [],
            PromptTokens = prompt,
            MaxTokens = maxTokens,
            Sampling = sampling,
            StopTokenIds = request.StopTokenIds ?? [],
            IgnoreEos = request.IgnoreEos ?? false,
        };
        if (state.Model.Engine.Validate(engineRequest) is { } problem)
        {
            return (null, ErrorResponse.InvalidRequest(problem.Message, problem.Param));
        }

        // A context-only leg always answers whole: its answer carries the transfer parameters.
        var plan = new GenerationPlan(
            engineRequest,
            request.Stop ?? [],
            logprobs,
            type != RequestType.ContextOnly && (request.Stream ?? false),
            request.StreamOptions?.IncludeUsage ?? false,
            echo,
            disaggregated,
            request.N ?? 1);
        return (plan, null);
    }
}
