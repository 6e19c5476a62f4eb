namespace Tandem.Server.Configuration;

/// <summary>Thrown when settings are invalid; its message lists every problem, one a line.</summary>
public sealed class SettingsException : Exception
{
    public SettingsException(IReadOnlyList<SettingsProblem> problems)
        : base(Describe(problems))
    {
        Problems = problems;
    }

    public SettingsException()
        : this([])
    {
    }

    public SettingsException(string message)
        : this([new SettingsProblem("settings", message)])
    {
    }

    public SettingsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [new SettingsProblem("settings", message)];
    }

    public IReadOnlyList<SettingsProblem> Problems { get; }

    private static string Describe(IReadOnlyList<SettingsProblem> problems) =>
        $"invalid settings ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):" +
        string.Concat(problems.Select(p => Environment.NewLine + "  " + p));
}
