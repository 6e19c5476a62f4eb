using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Tandem.Router.Benchmarking;

namespace Tandem.Cli;

/// <summary><c>tandem bench serve</c>: a serving load generator with <c>vllm bench serve</c>'s options, metrics and JSON keys.</summary>
internal static class BenchServeCommand
{
    public static Command Create()
    {
        var baseUrl = Options.Named<string>("--base-url", "The router or a worker", "http://127.0.0.1:8000");
        var model = Options.Named<string?>("--model", "Model name to send (default: the first of GET /v1/models)", null);
        var endpoint = Options.Named<string>("--endpoint", "API path", "/v1/completions");
        endpoint.AcceptOnlyFromAmong("/v1/completions", "/v1/chat/completions");
        var datasetName = Options.Named<string>("--dataset-name", "random: token ids (completions) or words (chat) of random lengths; file: prompts from --dataset-path", "random");
        datasetName.AcceptOnlyFromAmong("random", "file");
        var datasetPath = Options.Named<string?>("--dataset-path", "A JSON list of prompt strings, or JSONL with a \"prompt\" field", null);
        var inputLen = Options.Named<int>("--random-input-len", "Prompt tokens of the random dataset", 1024);
        var outputLen = Options.Named<int>("--random-output-len", "max_tokens of every request (random or file)", 128);
        var rangeRatio = Options.Named<double>("--random-range-ratio", "Lengths uniform in [len·(1−r), len·(1+r)], 0 ≤ r < 1 (vLLM's convention)", 0);
        var numPrompts = Options.Named<int>("--num-prompts", "Requests to send", 1000);
        var requestRate = Options.Named<double>("--request-rate", "Requests per second (inf: all at once); arrivals are Poisson, or gamma with --burstiness", double.PositiveInfinity);
        requestRate.CustomParser = ParseRate;
        var burstiness = Options.Named<double>("--burstiness", "Gamma shape of the arrival gaps: 1 is Poisson, < 1 burstier, > 1 smoother", 1.0);
        var maxConcurrency = Options.Named<int?>("--max-concurrency", "Most requests in flight at once (default: no limit)", null);
        var numWarmups = Options.Named<int>("--num-warmups", "Warm-up requests before measuring", 0);
        var seed = Options.Named<int>("--seed", "Seed of the random prompts, lengths and arrivals", 0);
        var ignoreEos = Options.Named<bool?>("--ignore-eos", "Generate max_tokens tokens past end-of-sequence (default: true for random, false for file)", null);
        var goodput = new Option<string[]>("--goodput") { Description = "SLOs for goodput in ms, e.g. --goodput ttft:500 tpot:50 e2el:5000", AllowMultipleArgumentsPerToken = true };
        var percentiles = Options.Named<string>("--metric-percentiles", "Comma-separated percentiles to report", "90,99");
        var saveResult = Options.Named<bool>("--save-result", "Write the JSON result", false);
        var resultFile = Options.Named<string?>("--result-filename", "Where --save-result writes (default: tandem-bench-serve-DATE.json; giving it implies --save-result)", null);
        var html = Options.Named<string?>("--html", "Write a self-contained HTML page with histograms and CDFs of TTFT, TPOT, ITL and E2E", null);

        var command = new Command("serve", "Load a running router or worker with streaming requests and report latency and throughput (like vllm bench serve)")
        {
            baseUrl, model, endpoint, datasetName, datasetPath, inputLen, outputLen, rangeRatio, numPrompts, requestRate, burstiness,
            maxConcurrency, numWarmups, seed, ignoreEos, goodput, percentiles, saveResult, resultFile, html,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            ServeBenchOptions options;
            try
            {
                options = new ServeBenchOptions
                {
                    BaseUrl = new Uri(parse.GetValue(baseUrl)!, UriKind.Absolute),
                    Model = parse.GetValue(model),
                    Endpoint = parse.GetValue(endpoint)!,
                    DatasetName = parse.GetValue(datasetName)!,
                    DatasetPath = parse.GetValue(datasetPath),
                    RandomInputLen = Positive(parse.GetValue(inputLen), "--random-input-len"),
                    RandomOutputLen = Positive(parse.GetValue(outputLen), "--random-output-len"),
                    RandomRangeRatio = parse.GetValue(rangeRatio) is var r and >= 0 and < 1 ? r : throw new FormatException("--random-range-ratio must be in [0, 1)"),
                    NumPrompts = Positive(parse.GetValue(numPrompts), "--num-prompts"),
                    RequestRate = parse.GetValue(requestRate),
                    Burstiness = parse.GetValue(burstiness) is var b and > 0 && double.IsFinite(b) ? b : throw new FormatException("--burstiness must be positive"),
                    MaxConcurrency = parse.GetValue(maxConcurrency) is { } c ? Positive(c, "--max-concurrency") : null,
                    NumWarmups = parse.GetValue(numWarmups) is var w and >= 0 ? w : throw new FormatException("--num-warmups must not be negative"),
                    Seed = parse.GetValue(seed),
                    IgnoreEos = parse.GetValue(ignoreEos),
                    Goodput = parse.GetValue(goodput) is { Length: > 0 } g ? GoodputSlo.Parse(g) : null,
                    MetricPercentiles = ParsePercentiles(parse.GetValue(percentiles)!),
                };
            }
            catch (FormatException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }

            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var progress = ProgressLine.ForStandardError();
            ServeBenchResult result;
            try
            {
                result = await ServeBenchmark.RunAsync(options, http, TimeProvider.System, progress, cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or HttpRequestException or IOException or InvalidDataException or System.Text.Json.JsonException)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
            finally
            {
                progress?.Invoke(-1, 0);
            }

            Console.Write(ReportTable.Format(result));
            var jsonPath = parse.GetValue(resultFile);
            if (parse.GetValue(saveResult) || jsonPath is not null)
            {
                jsonPath ??= $"tandem-bench-serve-{result.Date:yyyyMMdd-HHmmss}.json";
                ResultJson.WriteFile(jsonPath, result);
                Console.WriteLine($"result: {jsonPath}");
            }

            if (parse.GetValue(html) is { } htmlPath)
            {
                HtmlReport.WriteFile(htmlPath, result);
                Console.WriteLine($"chart: {htmlPath}");
            }

            return result.Metrics.Completed > 0 ? 0 : 1;
        });
        return command;
    }

    private static double ParseRate(ArgumentResult result)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "inf";
        if (token.Equals("inf", StringComparison.OrdinalIgnoreCase) || token.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            return double.PositiveInfinity;
        }

        if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate > 0)
        {
            return rate;
        }

        result.AddError($"--request-rate: '{token}' is not a positive number or inf");
        return double.PositiveInfinity;
    }

    private static int Positive(int value, string name) => value > 0 ? value : throw new FormatException($"{name} must be positive");

    private static double[] ParsePercentiles(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p =>
            double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v is > 0 and < 100 ? v : throw new FormatException($"--metric-percentiles: '{p}' is not in (0, 100)"))];
}
