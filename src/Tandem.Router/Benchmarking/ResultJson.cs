using System.Text.Json;

namespace Tandem.Router.Benchmarking;

/// <summary>
/// The <c>--save-result</c> file with <c>vllm bench serve</c>'s key names: the settings, totals, throughputs,
/// <c>mean_/median_/std_/pNN_{ttft,tpot,itl,e2el}_ms</c>, and the per-request arrays (seconds, as vLLM stores them).
/// </summary>
public static class ResultJson
{
    public static void Write(Stream stream, ServeBenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        var o = result.Options;
        var m = result.Metrics;
        w.WriteStartObject();
        w.WriteString("date", result.Date.ToString("yyyyMMdd-HHmmss"));
        w.WriteString("backend", "openai" + (o.Chat ? "-chat" : string.Empty));
        w.WriteString("endpoint", o.Endpoint);
        w.WriteString("base_url", o.BaseUrl.AbsoluteUri);
        w.WriteString("model_id", result.Model);
        w.WriteString("dataset_name", o.DatasetName);
        w.WriteNumber("num_prompts", o.NumPrompts);
        if (double.IsPositiveInfinity(o.RequestRate))
        {
            w.WriteString("request_rate", "inf");
        }
        else
        {
            w.WriteNumber("request_rate", o.RequestRate);
        }

        w.WriteNumber("burstiness", o.Burstiness);
        WriteNullable(w, "max_concurrency", o.MaxConcurrency);
        w.WriteNumber("seed", o.Seed);
        w.WriteString("goodput", o.Goodput?.ToString());
        w.WriteNumber("duration", m.DurationSeconds);
        w.WriteNumber("completed", m.Completed);
        w.WriteNumber("failed", m.Failed);
        w.WriteNumber("total_input_tokens", m.TotalInputTokens);
        w.WriteNumber("total_output_tokens", m.TotalOutputTokens);
        w.WriteNumber("request_throughput", m.RequestThroughput);
        WriteNullable(w, "request_goodput", m.RequestGoodput);
        w.WriteNumber("output_throughput", m.OutputThroughput);
        w.WriteNumber("total_token_throughput", m.TotalTokenThroughput);
        foreach (var s in m.Latencies)
        {
            w.WriteNumber($"mean_{s.Name}_ms", s.MeanMs);
            w.WriteNumber($"median_{s.Name}_ms", s.MedianMs);
            w.WriteNumber($"std_{s.Name}_ms", s.StdMs);
            foreach (var (p, value) in s.Percentiles)
            {
                w.WriteNumber($"p{MetricSummary.PercentileWord(p)}_{s.Name}_ms", value);
            }
        }

        var outcomes = result.Outcomes;
        WriteArray(w, "input_lens", outcomes, (x, r) => x.WriteNumberValue(r.InputLen));
        WriteArray(w, "output_lens", outcomes, (x, r) => x.WriteNumberValue(r.Success ? r.OutputTokens : 0));
        WriteArray(w, "ttfts", outcomes, (x, r) => x.WriteNumberValue(r.Ttft));
        WriteArray(w, "itls", outcomes, (x, r) =>
        {
            x.WriteStartArray();
            foreach (var itl in r.Itls)
            {
                x.WriteNumberValue(itl);
            }

            x.WriteEndArray();
        });
        WriteArray(w, "start_times", outcomes, (x, r) => x.WriteNumberValue(r.StartOffset));
        WriteArray(w, "errors", outcomes, (x, r) => x.WriteStringValue(r.Error ?? string.Empty));
        w.WriteEndObject();
    }

    public static void WriteFile(string path, ServeBenchResult result)
    {
        using var file = File.Create(path);
        Write(file, result);
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteArray(Utf8JsonWriter w, string name, IReadOnlyList<RequestOutcome> outcomes, Action<Utf8JsonWriter, RequestOutcome> item)
    {
        w.WriteStartArray(name);
        foreach (var r in outcomes)
        {
            item(w, r);
        }

        w.WriteEndArray();
    }
}
