namespace Tandem.Engine.Execution;

/// <summary>Checks of a request against the engine's limits, before it is queued.</summary>
public sealed partial class InferenceEngine
{
    /// <summary>
    /// Checks a request against the engine's limits without submitting it; null when it may run, else
    /// every problem in one message, with the field of the first.
    /// </summary>
    public RequestProblem? Validate(EngineRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<RequestProblem>();
        var prompt = request.PromptTokens;
        if (string.IsNullOrEmpty(request.Id))
        {
            errors.Add(new(null, "the request id is empty"));
        }

        if (prompt.Count == 0)
        {
            errors.Add(new("prompt", "the prompt is empty: it must contain at least one token"));
        }

        foreach (var token in prompt)
        {
            if ((uint)token >= (uint)Config.VocabSize)
            {
                errors.Add(new("prompt", $"prompt token id {token} is outside the vocabulary (0..{Config.VocabSize - 1})"));
                break;
            }
        }

        if (request.MaxTokens < 1)
        {
            errors.Add(new("max_tokens", $"max_tokens must be at least 1 (got {request.MaxTokens})"));
        }
        else if ((long)prompt.Count + request.MaxTokens > MaxSeqLen)
        {
            errors.Add(new("max_tokens", $"the prompt ({prompt.Count} tokens) plus max_tokens ({request.MaxTokens}) is {prompt.Count + (long)request.MaxTokens} tokens, more than max_seq_len ({MaxSeqLen})"));
        }
        else if (Layout.BlocksFor(prompt.Count + request.MaxTokens) > _cache.Pool.Total)
        {
            errors.Add(new("max_tokens", $"the prompt plus max_tokens needs {Layout.BlocksFor(prompt.Count + request.MaxTokens)} KV blocks but the whole cache holds {_cache.Pool.Total}"));
        }

        errors.AddRange(request.Sampling.Validate());
        ValidateDisaggregation(request, errors);
        return errors.Count == 0 ? null : new RequestProblem(errors[0].Param, string.Join("; ", errors.Select(e => e.Message)));
    }

    private void ValidateDisaggregation(EngineRequest request, List<RequestProblem> errors)
    {
        if (request.Type != RequestType.GenerationOnly)
        {
            return;
        }

        if (request.ImportedKv is { } kv)
        {
            if (kv.Layout != Layout)
            {
                errors.Add(new("disaggregated_params", $"KV cache layout mismatch: the context server has [{kv.Layout}], this server has [{Layout}]"));
            }

            if (kv.TokenCount != request.PromptTokens.Count)
            {
                errors.Add(new("disaggregated_params", $"the imported KV cache covers {kv.TokenCount} tokens but the prompt has {request.PromptTokens.Count}"));
            }
        }

        if (request.FirstTokens.Count == 0)
        {
            errors.Add(new("disaggregated_params", "a generation-only request needs the first token the context server sampled"));
        }

        foreach (var token in request.FirstTokens)
        {
            if ((uint)token >= (uint)Config.VocabSize)
            {
                errors.Add(new("disaggregated_params", $"first token id {token} is outside the vocabulary"));
            }
        }

        if (request.FirstTokens.Count > request.MaxTokens)
        {
            errors.Add(new("disaggregated_params", $"{request.FirstTokens.Count} first tokens exceed max_tokens ({request.MaxTokens})"));
        }
    }
}
