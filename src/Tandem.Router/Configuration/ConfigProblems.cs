using YamlDotNet.RepresentationModel;

namespace Tandem.Router.Configuration;

/// <summary>Collects every problem while a config is read, so that all of them are reported at once.</summary>
internal sealed class ConfigProblems
{
    private readonly List<ConfigProblem> _problems = [];

    public IReadOnlyList<ConfigProblem> All => _problems;

    public int Count => _problems.Count;

    public void Add(string path, string message, YamlNode? node = null) =>
        _problems.Add(node is null ? new ConfigProblem(path, message) : new ConfigProblem(path, message, (int)node.Start.Line, (int)node.Start.Column));
}
