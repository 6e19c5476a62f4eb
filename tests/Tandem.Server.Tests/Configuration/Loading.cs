using Tandem.Cli;
using Tandem.Server.Configuration;

namespace Tandem.Server.Tests.Configuration;

/// <summary>Runs the loader the way <c>tandem serve</c> does: a command line parsed by the real command, YAML text, an environment.</summary>
internal static class Loading
{
    public static SettingsResult Run(string? yaml, string commandLine = "models/tiny", IReadOnlyDictionary<string, string>? environment = null)
    {
        var flags = Flags(commandLine);
        return ServerSettingsLoader.Load(flags, yaml, name => environment?.GetValueOrDefault(name));
    }

    public static ServerSettings Valid(string? yaml, string commandLine = "models/tiny", IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = Run(yaml, commandLine, environment);
        Assert.True(result.IsValid, string.Join(Environment.NewLine, result.Problems));
        return result.Settings;
    }

    public static ServeFlags Flags(string commandLine)
    {
        var parse = ServeCommand.Create().Parse(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(parse.Errors);
        return ServeCommand.ReadFlags(parse);
    }
}
