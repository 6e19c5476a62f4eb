namespace Tandem.Server.Configuration;

/// <summary>Settings being assembled from one source after another, with every problem and warning met so far.</summary>
internal sealed class SettingsDraft(ServerSettings initial)
{
    public ServerSettings Settings { get; set; } = initial;

    public List<SettingsProblem> Problems { get; } = [];

    public List<string> Warnings { get; } = [];

    public void Problem(string path, string message, int line = 0, int column = 0) =>
        Problems.Add(new SettingsProblem(path, message, line, column));

    public void Apply<T>(string path, string text, Func<string, Parsed<T>> parse, Func<ServerSettings, T, ServerSettings> apply, int line = 0, int column = 0)
    {
        var parsed = parse(text);
        if (parsed.Error is not null)
        {
            Problem(path, parsed.Error, line, column);
            return;
        }

        Settings = apply(Settings, parsed.Value);
    }
}
