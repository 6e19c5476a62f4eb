using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Tandem.Router.Client;
using Tandem.Router.Configuration;

namespace Tandem.Cli;

/// <summary><c>tandem client -c disagg_config.yaml -p prompts.json</c>: TensorRT-LLM's disagg_client.py.</summary>
internal static class ClientCommand
{
    private static readonly JsonSerializerOptions OutputJson = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var config = new Option<string>("--disagg_config_file", "-c", "--config") { Description = "disagg_config.yaml: hostname, port and model are read from it", Required = true };
        var prompts = new Option<string>("--prompts_file", "-p", "--prompts-file") { Description = "A JSON list of prompt strings", Required = true };
        var maxTokens = Options.Named<int>("--max-tokens", "Most tokens per answer", 100);
        var temperature = Options.Named<double>("--temperature", "Sampling temperature", 0);
        var endpoint = new Option<string>("--endpoint", "-e") { Description = "completions or chat", DefaultValueFactory = _ => "completions" };
        endpoint.AcceptOnlyFromAmong("completions", "chat");
        var streaming = new Option<bool>("--streaming") { Description = "Stream the answers (server-sent events)" };
        var ignoreEos = Options.Named<bool>("--ignore-eos", "Generate max-tokens tokens even past an end-of-sequence token", false);
        var output = new Option<string>("--output-file", "-o") { Description = "Where to write the JSON list of answers", DefaultValueFactory = _ => "output.json" };
        var startTimeout = Options.Named<double?>("--server-start-timeout", "Wait up to this many seconds for the router's /health first", null);

        var command = new Command("client", "Send every prompt of a file to the disaggregated router at once and save the answers")
        {
            config, prompts, maxTokens, temperature, endpoint, streaming, ignoreEos, output, startTimeout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var loaded = RouterConfigLoader.LoadFile(parse.GetValue(config)!);
            if (!loaded.IsValid)
            {
                foreach (var problem in loaded.Problems)
                {
                    await Console.Error.WriteLineAsync($"error: {problem}");
                }

                return 2;
            }

            string[] texts;
            try
            {
                texts = JsonSerializer.Deserialize<string[]>(await File.ReadAllTextAsync(parse.GetValue(prompts)!, cancellationToken)) ?? [];
            }
            catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"error: {parse.GetValue(prompts)} is not a readable JSON list of strings: {ex.Message}");
                return 2;
            }

            var c = loaded.Config;
            var host = c.Hostname is "0.0.0.0" ? "127.0.0.1" : c.Hostname;
            var options = new ClientOptions
            {
                Endpoint = new Uri($"http://{host}:{c.Port}/"),
                Model = c.Model ?? "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
                Prompts = texts,
                MaxTokens = parse.GetValue(maxTokens),
                Temperature = parse.GetValue(temperature),
                Chat = parse.GetValue(endpoint) == "chat",
                Streaming = parse.GetValue(streaming),
                IgnoreEos = parse.GetValue(ignoreEos),
                ServerStartTimeout = parse.GetValue(startTimeout) is { } s ? TimeSpan.FromSeconds(s) : null,
            };
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            IReadOnlyList<ClientResult> results;
            try
            {
                results = await DisaggClient.RunAsync(options, http, cancellationToken);
            }
            catch (TimeoutException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }

            var json = JsonSerializer.Serialize(results.Select(r => r.Text ?? string.Empty).ToArray(), OutputJson);
            await File.WriteAllTextAsync(parse.GetValue(output)!, json + "\n", cancellationToken);
            foreach (var failed in results.Where(r => r.Error is not null))
            {
                await Console.Error.WriteLineAsync($"error: prompt \"{Shorten(failed.Prompt)}\": {failed.Error}");
            }

            var ok = results.Where(r => r.Error is null).ToList();
            var latencies = ok.Select(r => r.Latency.TotalSeconds).Order().ToList();
            Console.WriteLine(
                $"{results.Count} requests, {ok.Count} ok, {results.Count - ok.Count} failed; {ok.Sum(r => r.PromptTokens)} prompt and {ok.Sum(r => r.CompletionTokens)} completion tokens; " +
                (latencies.Count > 0 ? $"latency mean {latencies.Average():F2} s, max {latencies[^1]:F2} s; " : string.Empty) +
                $"answers in {parse.GetValue(output)}");
            return ok.Count == results.Count ? 0 : 1;
        });
        return command;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
