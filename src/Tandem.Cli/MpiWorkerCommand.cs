using System.CommandLine;
using Tandem.Router.Configuration;
using Tandem.Router.Launch;
using Tandem.Server;
using Tandem.Server.Configuration;

namespace Tandem.Cli;

/// <summary>
/// <c>mpirun -n N tandem disaggregated_mpi_worker -c disagg_config.yaml</c> (TensorRT-LLM's command of that name):
/// each rank reads its rank and the world size from the launcher's environment (<see cref="MpiWorld"/>), finds its
/// instance in the config's <see cref="InstancePlan"/>, and the instance's first rank runs that worker server in this
/// process, with the section's settings read by the same loader as <c>tandem serve</c>. Other ranks (only with tensor
/// or pipeline parallelism, refused for now) wait for the stop signal. SIGTERM/SIGINT stop the server.
/// <c>TRTLLM_USE_MPI_KVCACHE=1</c> is accepted and means the default transfer backend; no MPI library is used.
/// Exit code 2 for an invalid config or world, else the worker server's.
/// </summary>
internal static class MpiWorkerCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config", "-c", "--config_file", "--config-file") { Description = "The disaggregated YAML with every server's settings", Required = true, HelpName = "FILE" };
        var logLevel = Options.Named<string?>("--log-level", "trace, debug, info, warning or error", null);
        logLevel.Aliases.Add("-l");
        var command = new Command("disaggregated_mpi_worker", "Run, under mpirun, the context or generation server that this MPI rank is assigned by a disaggregated config")
        {
            config, logLevel,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var errors = new List<string>();
            var loaded = RouterConfigLoader.LoadFile(parse.GetValue(config)!);
            errors.AddRange(loaded.Problems.Select(p => p.ToString()));
            var plan = loaded.IsValid ? InstancePlan.Create(loaded.Config) : null;
            errors.AddRange(plan?.Problems ?? []);
            var (world, worldError) = MpiWorld.Read(Environment.GetEnvironmentVariable);
            if (worldError is not null)
            {
                errors.Add(worldError);
            }

            RankAssignment? assignment = null;
            if (plan is { IsValid: true } && world is not null)
            {
                (assignment, var assignError) = RankAssignment.Assign(plan.Plan, world);
                errors.AddRange(assignError is null ? [] : [assignError]);
            }

            SettingsResult? settings = null;
            if (assignment is { IsLeader: true, Instance: var instance })
            {
                var serve = ServeCommand.Create().Parse([.. instance.ServeArguments(null, parse.GetValue(logLevel))]);
                settings = ServerSettingsLoader.Load(ServeCommand.ReadFlags(serve), instance.ConfigYaml, Environment.GetEnvironmentVariable);
                errors.AddRange(settings.Problems.Select(p => $"{instance.Label}: {p}"));
            }

            var rank = world is null ? "" : $"rank {world.Rank}: ";
            foreach (var warning in settings?.Warnings ?? [])
            {
                await Console.Error.WriteLineAsync($"{rank}warning: {warning}");
            }

            if (errors.Count > 0 || assignment is null)
            {
                foreach (var error in errors)
                {
                    await Console.Error.WriteLineAsync($"{rank}error: {error}");
                }

                return DisaggregatedCommand.InvalidConfigExitCode;
            }

            using var signals = new StopSignals(cancellationToken);
            await Console.Error.WriteLineAsync($"{rank}{(assignment.IsLeader ? "runs" : "serves as a shard of")} {assignment.Instance} (world of {world!.Size} from {world.Source})");
            if (!assignment.IsLeader)
            {
                await Task.Delay(Timeout.Infinite, signals.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                return 0;
            }

            return await ExitGuard.Hold(WorkerServer.RunAsync(settings!.Settings!, signals.Token));
        });
        return command;
    }
}
