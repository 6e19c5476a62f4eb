using System.Numerics.Tensors;
using Tandem.Engine.Numerics;

namespace Tandem.Engine.Sampling;

/// <summary>
/// Picks one request's tokens, step by step. One per request: it owns the request's random
/// stream, its penalty history and scratch sized to the vocabulary, allocated up front for
/// the stages the parameters switch on, so <see cref="Sample"/> allocates nothing but the
/// top-logprobs array.
/// <para>The pipeline, in order, over the logits of one step:</para>
/// <list type="number">
/// <item>logprobs (when asked): taken from the RAW logits, before anything below (vLLM's default).</item>
/// <item>penalties: repetition over prompt + generated tokens, then frequency and presence over generated tokens.</item>
/// <item>temperature: logits / T. Below 1e-5, or with top_k 1, the step is greedy instead:
/// argmax, lowest id on ties, no random number drawn.</item>
/// <item>top-k, then top-p, then min-p: each keeps a prefix of the candidates in sampling order
/// (logit descending, id ascending; see <see cref="CandidateKey"/>).</item>
/// <item>draw: inverse CDF of the softmax of what is left, with one xoshiro256** number.</item>
/// </list>
/// </summary>
public sealed class Sampler
{
    private const float GreedyBelowTemperature = 1e-5f;
    private const int DrawBlock = 1024;

    private readonly SamplingParams _params;
    private readonly bool _greedy;
    private readonly int _topK;
    private readonly bool _filters;
    private readonly bool _repetition;
    private readonly bool _occurrence;
    private readonly TokenHistory? _history;
    private readonly ulong[]? _keys;
    private readonly float[]? _raw;
    private readonly double[] _blockSums;
    private Xoshiro256StarStar _rng;

    public Sampler(SamplingParams p, int vocabSize, ReadOnlySpan<int> promptTokens, ulong fallbackSeed)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        var problems = p.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems.Select(problem => problem.Message)), nameof(p));
        }

        _params = p;
        VocabSize = vocabSize;
        _topK = p.TopK > 0 && p.TopK < vocabSize ? p.TopK : 0;
        _greedy = p.Temperature < GreedyBelowTemperature || p.TopK == 1;
        _filters = !_greedy && (_topK > 0 || p.TopP < 1f || p.MinP > 0f);
        _repetition = p.RepetitionPenalty != 1f;
        _occurrence = p.PresencePenalty != 0f || p.FrequencyPenalty != 0f;
        _history = _repetition || _occurrence ? new TokenHistory(vocabSize, promptTokens) : null;
        _keys = _filters ? new ulong[vocabSize] : null;
        _raw = p.Logprobs is null ? null : new float[vocabSize];
        _blockSums = _greedy ? [] : new double[(vocabSize + DrawBlock - 1) / DrawBlock];
        _rng = new Xoshiro256StarStar(p.Seed ?? fallbackSeed);
    }

    public int VocabSize { get; }

    /// <summary>Samples the next token from one step's logits, which it overwrites, and records it.</summary>
    public SampledToken Sample(Span<float> logits)
    {
        if (logits.Length != VocabSize)
        {
            throw new ArgumentException($"expected {VocabSize} logits, got {logits.Length}", nameof(logits));
        }

        if (_raw is not null)
        {
            logits.CopyTo(_raw);
        }

        if (_history is not null)
        {
            if (_repetition)
            {
                RepetitionPenalty.Apply(logits, _history, _params.RepetitionPenalty);
            }

            if (_occurrence)
            {
                OccurrencePenalties.Apply(logits, _history, _params.PresencePenalty, _params.FrequencyPenalty);
            }
        }

        int token;
        if (_greedy)
        {
            // First index of the maximum (TensorPrimitives ranks +0 above -0, the one tie it breaks by value).
            token = TensorPrimitives.IndexOfMax<float>(logits);
        }
        else
        {
            if (_params.Temperature != 1f)
            {
                TensorPrimitives.Divide(logits, _params.Temperature, logits);
            }

            token = _filters ? DrawFiltered(logits) : DrawFromAll(logits);
        }

        Accept(token);
        return WithLogprobs(token);
    }

    /// <summary>Records a token decided elsewhere (e.g. the first token, imported from a context server).</summary>
    public void Accept(int tokenId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(tokenId, VocabSize);
        _history?.RecordGenerated(tokenId);
    }

    private int DrawFromAll(Span<float> logits)
    {
        var max = TensorPrimitives.Max<float>(logits);
        TensorPrimitives.Subtract(logits, max, logits);
        TensorPrimitives.Exp(logits, logits);
        return Draw(logits);
    }

    private int DrawFiltered(Span<float> logits)
    {
        var keys = Filter(logits, out var max);

        // The logits are free now: reuse them for the weights of the candidates.
        var weights = logits[..keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            weights[i] = CandidateKey.Logit(keys[i]) - max;
        }

        TensorPrimitives.Exp(weights, weights);
        return CandidateKey.TokenId(keys[Draw(weights)]);
    }

    /// <summary>Top-k, top-p and min-p over tempered logits: the surviving candidates' keys.</summary>
    internal ReadOnlySpan<ulong> Filter(ReadOnlySpan<float> logits, out float max)
    {
        var keys = _keys.AsSpan();
        max = TensorPrimitives.Max(logits);

        // min-p runs last and only cuts the tail of the sampling order, whatever the others kept.
        // With top-k off it therefore runs as the encoding floor (top-p still measures its mass
        // over the whole vocabulary); a top-k or top-p cut raises the floor further.
        var minPFloor = _params.MinP > 0f ? MinP.Floor(_params.MinP, max) : float.NegativeInfinity;
        var floor = _topK == 0 ? minPFloor : float.NegativeInfinity;
        var vocabTotal = _topK == 0 && _params.TopP < 1f ? ExpSum.Of(logits, max) : 0.0;
        if (_topK > 0)
        {
            floor = CandidateFloor.ForTopK(logits, max, _topK);
        }
        else if (_params.TopP < 1f)
        {
            floor = Math.Max(floor, CandidateFloor.ForTopP(logits, max, _params.TopP * vocabTotal));
        }

        var n = CandidateKey.EncodeAtLeast(logits, floor, keys);
        n = TopK.Apply(keys[..n], _topK);
        if (_params.TopP < 1f)
        {
            var total = _topK == 0 ? vocabTotal : ExpSum.OfKeys(keys[..n], max);
            n = TopP.Apply(keys[..n], _params.TopP, max, total);
        }

        if (_topK > 0 && _params.MinP > 0f)
        {
            n = MinP.Apply(keys[..n], minPFloor);
        }

        return keys[..n];
    }

    /// <summary>
    /// Inverse CDF over unnormalized weights; returns a position in <paramref name="weights"/>.
    /// Finds the block holding the target from vectorized block sums, then walks only that block.
    /// </summary>
    private int Draw(ReadOnlySpan<float> weights)
    {
        var blocks = (weights.Length + DrawBlock - 1) / DrawBlock;
        var sums = _blockSums.AsSpan(0, blocks);
        var total = 0.0;
        for (var b = 0; b < blocks; b++)
        {
            sums[b] = TensorPrimitives.Sum(weights.Slice(b * DrawBlock, Math.Min(DrawBlock, weights.Length - (b * DrawBlock))));
            total += sums[b];
        }

        var target = _rng.NextDouble() * total;
        var cumulative = 0.0;
        for (var b = 0; b < blocks; b++)
        {
            if (cumulative + sums[b] <= target)
            {
                cumulative += sums[b];
                continue;
            }

            var end = Math.Min(weights.Length, (b + 1) * DrawBlock);
            for (var i = b * DrawBlock; i < end; i++)
            {
                cumulative += weights[i];
                if (cumulative > target && weights[i] > 0f)
                {
                    return i;
                }
            }
        }

        // Rounding left the target just past the walked sum: the last token with weight wins.
        var last = weights.LastIndexOfAnyExcept(0f);
        return Math.Max(last, 0);
    }

    private SampledToken WithLogprobs(int token)
    {
        if (_raw is null)
        {
            return new SampledToken(token, float.NaN, null);
        }

        var logSumExp = RawLogprobs.LogSumExp(_raw);
        var top = RawLogprobs.Top(_raw, _params.Logprobs ?? 0, logSumExp);
        return new SampledToken(token, (float)(_raw[token] - logSumExp), top);
    }
}
