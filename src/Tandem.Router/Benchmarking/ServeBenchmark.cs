namespace Tandem.Router.Benchmarking;

/// <summary>
/// <c>tandem bench serve</c>: prepares the prompts, sends one test request and the warm-ups, then sends every prompt on the
/// arrival schedule (all at once, or Poisson/gamma gaps at the request rate) with at most max-concurrency in flight, and measures.
/// </summary>
public static class ServeBenchmark
{
    public const int FallbackVocabSize = 256;

    /// <summary>Runs the benchmark; <paramref name="progress"/> gets (finished, total) after each measured request.</summary>
    public static async Task<ServeBenchResult> RunAsync(
        ServeBenchOptions options, HttpClient http, TimeProvider timeProvider, Action<int, int>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var baseUrl = options.BaseUrl.AbsoluteUri.EndsWith('/') ? options.BaseUrl : new Uri(options.BaseUrl.AbsoluteUri + "/");
        var model = options.Model ?? await ServerProbe.FirstModelAsync(http, baseUrl, cancellationToken).ConfigureAwait(false);
        var requests = await PrepareAsync(options, http, baseUrl, cancellationToken).ConfigureAwait(false);
        var sender = new StreamingRequestSender(http, timeProvider, new Uri(baseUrl, options.Endpoint.TrimStart('/')), model, options.Chat, options.EffectiveIgnoreEos, options.RequestTimeout);

        var test = await sender.SendAsync(requests[0], timeProvider.GetTimestamp(), cancellationToken).ConfigureAwait(false);
        if (!test.Success)
        {
            throw new InvalidOperationException($"the test request failed: {test.Error}");
        }

        if (options.NumWarmups > 0)
        {
            var warmups = Enumerable.Range(0, options.NumWarmups).Select(i => requests[i % requests.Count]).ToList();
            await SendAllAsync(sender, warmups, timeProvider, null, options.MaxConcurrency, null, cancellationToken).ConfigureAwait(false);
        }

        var gaps = new ArrivalGaps(options.RequestRate, options.Burstiness, new Random(options.Seed));
        var date = timeProvider.GetUtcNow();
        var start = timeProvider.GetTimestamp();
        var outcomes = await SendAllAsync(sender, requests, timeProvider, gaps, options.MaxConcurrency, progress, cancellationToken).ConfigureAwait(false);
        var duration = timeProvider.GetElapsedTime(start).TotalSeconds;
        return new ServeBenchResult(options, model, date, outcomes, BenchmarkMetrics.Compute(outcomes, duration, options.Goodput, options.MetricPercentiles));
    }

    private static async Task<IReadOnlyList<BenchRequest>> PrepareAsync(ServeBenchOptions options, HttpClient http, Uri baseUrl, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.NumPrompts, 1);
        var random = new Random(options.Seed);
        switch (options.DatasetName)
        {
            case "random":
                var tokenIds = !options.Chat;
                var vocab = tokenIds ? await ServerProbe.VocabSizeAsync(http, baseUrl, cancellationToken).ConfigureAwait(false) ?? FallbackVocabSize : FallbackVocabSize;
                return RandomDataset.Generate(options.NumPrompts, options.RandomInputLen, options.RandomOutputLen, options.RandomRangeRatio, tokenIds, vocab, random);
            case "file":
                var path = options.DatasetPath ?? throw new ArgumentException("--dataset-name file needs --dataset-path");
                return PromptFileDataset.Requests(PromptFileDataset.Load(path), options.NumPrompts, options.RandomOutputLen, options.RandomRangeRatio, random);
            default:
                throw new ArgumentException($"unknown dataset '{options.DatasetName}' (random or file)");
        }
    }

    private static async Task<IReadOnlyList<RequestOutcome>> SendAllAsync(
        StreamingRequestSender sender, IReadOnlyList<BenchRequest> requests, TimeProvider timeProvider, ArrivalGaps? gaps, int? maxConcurrency,
        Action<int, int>? progress, CancellationToken cancellationToken)
    {
        using var limit = maxConcurrency is { } n ? new SemaphoreSlim(n, n) : null;
        var start = timeProvider.GetTimestamp();
        var finished = 0;
        var tasks = new Task<RequestOutcome>[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            tasks[i] = SendOneAsync(requests[i]);
            if (gaps is not null && i < requests.Count - 1 && gaps.Next() is { } gap && gap > TimeSpan.Zero)
            {
                await Task.Delay(gap, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }

        return await Task.WhenAll(tasks).ConfigureAwait(false);

        async Task<RequestOutcome> SendOneAsync(BenchRequest request)
        {
            if (limit is not null)
            {
                await limit.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                return await sender.SendAsync(request, start, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                limit?.Release();
                progress?.Invoke(Interlocked.Increment(ref finished), requests.Count);
            }
        }
    }
}
