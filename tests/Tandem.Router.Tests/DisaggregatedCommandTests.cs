using Tandem.Cli;

namespace Tandem.Router.Tests;

public sealed class DisaggregatedCommandTests
{
    [Fact]
    public async Task InvalidConfigPrintsEveryProblemAndExitsWithTwo()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tandem-router-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, "prot: 1\ncontext_servers: {urls: [\"localhost\"]}\ngeneration_servers: {num_instances: 2, urls: [\"localhost:8003\"]}\n", TestContext.Current.CancellationToken);
        try
        {
            var parse = DisaggregatedCommand.Create().Parse(["-c", path, "-t", "5", "-r", "0", "-l", "loud", "--metrics-log-interval", "2"]);
            Assert.Empty(parse.Errors);
            var error = new StringWriter();
            var original = Console.Error;
            Console.SetError(error);
            int code;
            try
            {
                code = await parse.InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);
            }
            finally
            {
                Console.SetError(original);
            }

            Assert.Equal(DisaggregatedCommand.InvalidConfigExitCode, code);
            var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Collection(
                lines,
                l => Assert.StartsWith("error: --log_level: unknown log level 'loud'", l, StringComparison.Ordinal),
                l => Assert.StartsWith("error: --request_timeout: must be a positive number of seconds", l, StringComparison.Ordinal),
                l => Assert.StartsWith("error: prot: unknown key; did you mean 'port'?", l, StringComparison.Ordinal),
                l => Assert.StartsWith("error: context_servers.urls[0]:", l, StringComparison.Ordinal),
                l => Assert.StartsWith("error: generation_servers.num_instances:", l, StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("--config_file", "--server_start_timeout", "--request_timeout", "--log_level", "--metrics_log_interval")]
    [InlineData("--config", "--server-start-timeout", "--request-timeout", "--log-level", "--metrics-log-interval")]
    public void TensorRtLlmSpellingsParse(string config, string start, string request, string level, string interval)
    {
        var parse = DisaggregatedCommand.Create().Parse([config, "c.yaml", start, "30", request, "60", level, "debug", interval, "5"]);
        Assert.Empty(parse.Errors);
        Assert.Equal("c.yaml", parse.GetValue<string>("--config"));
        Assert.Equal(30.0, parse.GetValue<double>("--server-start-timeout"));
        Assert.Equal(60.0, parse.GetValue<double>("--request-timeout"));
    }
}
