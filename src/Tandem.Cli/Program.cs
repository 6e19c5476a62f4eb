using System.CommandLine;
using Tandem.Cli;

var root = new RootCommand("Tandem: disaggregated LLM serving (context and generation servers, KV cache transfer, an OpenAI-compatible router).");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(DisaggregatedCommand.Create());
root.Subcommands.Add(MpiWorkerCommand.Create());
root.Subcommands.Add(UpCommand.Create());
root.Subcommands.Add(ClientCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(ModelCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
// SIGTERM and SIGINT cancel the running command (servers stop cleanly), then the process ends.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) });
