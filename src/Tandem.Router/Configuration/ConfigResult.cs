using System.Diagnostics.CodeAnalysis;

namespace Tandem.Router.Configuration;

/// <summary>The loader's answer: a config when nothing is wrong, else every problem found.</summary>
public sealed record ConfigResult(RouterConfig? Config, IReadOnlyList<ConfigProblem> Problems)
{
    [MemberNotNullWhen(true, nameof(Config))]
    public bool IsValid => Config is not null && Problems.Count == 0;
}
