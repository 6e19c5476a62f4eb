namespace Tandem.Router.Configuration;

/// <summary>One invalid setting: its key path (e.g. <c>context_servers.urls[1]</c>), what is wrong, and its place in the file.</summary>
public sealed record ConfigProblem(string Path, string Message, int Line = 0, int Column = 0)
{
    public override string ToString() =>
        Line > 0 ? $"{Path}: {Message} (line {Line}, column {Column})" : $"{Path}: {Message}";
}
