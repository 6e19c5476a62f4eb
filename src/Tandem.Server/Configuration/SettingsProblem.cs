namespace Tandem.Server.Configuration;

/// <summary>One invalid setting: where it came from (a YAML key path or a flag), what is wrong, and its place in the file.</summary>
public sealed record SettingsProblem(string Path, string Message, int Line = 0, int Column = 0)
{
    public override string ToString() =>
        Line > 0 ? $"{Path}: {Message} (line {Line}, column {Column})" : $"{Path}: {Message}";
}
