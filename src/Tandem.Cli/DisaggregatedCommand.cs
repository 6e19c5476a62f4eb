using System.CommandLine;
using Microsoft.Extensions.Logging;
using Tandem.Router;
using Tandem.Router.Configuration;

namespace Tandem.Cli;

/// <summary>
/// <c>tandem disaggregated -c disagg_config.yaml</c>: the router in front of context and generation servers, with
/// <c>trtllm-serve disaggregated</c>'s flags. Every config problem is printed at once; exit code 2 when any is found,
/// 1 when startup fails (a server never became healthy).
/// </summary>
public static class DisaggregatedCommand
{
    public const int InvalidConfigExitCode = 2;

    public static Command Create()
    {
        var config = new Option<string>("--config", "-c", "--config_file", "--config-file") { Description = "The disaggregated YAML: hostname, port, context_servers, generation_servers, ...", Required = true, HelpName = "FILE" };
        var startTimeout = Options.Named("--server-start-timeout", "Seconds to wait for every server's /health to answer 200", 180.0);
        startTimeout.Aliases.Add("-t");
        var requestTimeout = Options.Named("--request-timeout", "Seconds one upstream call may take; past it the client gets 504", 180.0);
        requestTimeout.Aliases.Add("-r");
        var logLevel = Options.Named("--log-level", "trace, debug, info, warning or error", "info");
        logLevel.Aliases.Add("-l");
        var metricsInterval = Options.Named("--metrics-log-interval", "Log a one-line summary of the legs every this many seconds; 0 is off", 0.0);

        var command = new Command("disaggregated", "Run the disaggregated router: one OpenAI-compatible endpoint that sends each request to a context server, then a generation server")
        {
            config, startTimeout, requestTimeout, logLevel, metricsInterval,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var errors = new List<string>();
            var level = ParseLevel(parse.GetValue(logLevel)!);
            if (level is null)
            {
                errors.Add($"--log_level: unknown log level '{parse.GetValue(logLevel)}'; use trace, debug, info, warning or error");
            }

            var seconds = new[] { ("--server_start_timeout", parse.GetValue(startTimeout)), ("--request_timeout", parse.GetValue(requestTimeout)) };
            errors.AddRange(seconds.Where(s => !(s.Item2 > 0)).Select(s => $"{s.Item1}: must be a positive number of seconds, got {s.Item2}"));
            if (parse.GetValue(metricsInterval) < 0)
            {
                errors.Add($"--metrics-log-interval: must be 0 (off) or a positive number of seconds, got {parse.GetValue(metricsInterval)}");
            }

            var loaded = RouterConfigLoader.LoadFile(parse.GetValue(config)!);
            errors.AddRange(loaded.Problems.Select(p => p.ToString()));
            if (errors.Count > 0 || !loaded.IsValid)
            {
                foreach (var error in errors)
                {
                    await Console.Error.WriteLineAsync($"error: {error}");
                }

                return InvalidConfigExitCode;
            }

            var options = new RouterOptions
            {
                ServerStartTimeout = TimeSpan.FromSeconds(parse.GetValue(startTimeout)),
                RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(requestTimeout)),
                LogLevel = level!.Value,
                MetricsLogInterval = parse.GetValue(metricsInterval) > 0 ? TimeSpan.FromSeconds(parse.GetValue(metricsInterval)) : null,
                BenchmarkGenerationOnly = Environment.GetEnvironmentVariable("TRTLLM_DISAGG_BENCHMARK_GEN_ONLY") == "1",
            };
            return await DisaggregatedRouter.RunAsync(loaded.Config, options, cancellationToken);
        });
        return command;
    }

    private static LogLevel? ParseLevel(string text) => text.Trim().ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" => LogLevel.Information,
        "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => null,
    };
}
