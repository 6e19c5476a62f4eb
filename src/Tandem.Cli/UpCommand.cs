using System.CommandLine;
using Tandem.Router.Configuration;
using Tandem.Router.Launch;

namespace Tandem.Cli;

/// <summary>
/// <c>tandem up -c disagg_config.yaml</c>: every context and generation worker of the config and the router, on this
/// machine, as children of this executable (<see cref="LocalDeployment"/>). Exit code 2 for an invalid config, 1 when
/// startup fails or a child dies without <c>--restart</c>, 0 after Ctrl-C or SIGTERM.
/// </summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config", "-c", "--config_file", "--config-file") { Description = "The disaggregated YAML; its worker settings (model, kv_cache_config, ...) start the workers", Required = true, HelpName = "FILE" };
        var restart = new Option<bool>("--restart") { Description = "Restart a child that exits, with exponential backoff (1 s doubling to 30 s), instead of stopping everything" };
        var logLevel = Options.Named<string?>("--log-level", "trace, debug, info, warning or error, for every child", null);
        logLevel.Aliases.Add("-l");
        var startTimeout = Options.Named("--server-start-timeout", "Seconds every child may take to answer /health", 180.0);
        startTimeout.Aliases.Add("-t");

        var command = new Command("up", "Start every worker of a disaggregated config and its router on this machine; Ctrl-C stops them all")
        {
            config, restart, logLevel, startTimeout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = Path.GetFullPath(parse.GetValue(config)!);
            var errors = new List<string>();
            if (!(parse.GetValue(startTimeout) > 0))
            {
                errors.Add($"--server_start_timeout: must be a positive number of seconds, got {parse.GetValue(startTimeout)}");
            }

            var loaded = RouterConfigLoader.LoadFile(path);
            errors.AddRange(loaded.Problems.Select(p => p.ToString()));
            var plan = loaded.IsValid ? InstancePlan.Create(loaded.Config) : null;
            errors.AddRange(plan?.Problems ?? []);
            if (loaded.Config is { Port: 0 })
            {
                errors.Add("port: 0 picks a free port, but tandem up must know the router's port; set it");
            }

            if (errors.Count > 0 || plan is not { IsValid: true })
            {
                foreach (var error in errors)
                {
                    await Console.Error.WriteLineAsync($"error: {error}");
                }

                return DisaggregatedCommand.InvalidConfigExitCode;
            }

            var options = new UpOptions
            {
                ConfigPath = path,
                Restart = parse.GetValue(restart),
                LogLevel = parse.GetValue(logLevel),
                StartTimeout = TimeSpan.FromSeconds(parse.GetValue(startTimeout)),
            };
            using var signals = new StopSignals(cancellationToken);
            return await LocalDeployment.RunAsync(loaded.Config!, plan.Plan, options, new LaunchOutput(Console.Out, Console.Error), signals.Token);
        });
        return command;
    }
}
