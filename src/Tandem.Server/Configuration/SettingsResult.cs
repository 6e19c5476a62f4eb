using System.Diagnostics.CodeAnalysis;

namespace Tandem.Server.Configuration;

/// <summary>The loader's answer: settings when there is no problem, and warnings (ignored keys, notes) either way.</summary>
public sealed record SettingsResult(ServerSettings? Settings, IReadOnlyList<SettingsProblem> Problems, IReadOnlyList<string> Warnings)
{
    [MemberNotNullWhen(true, nameof(Settings))]
    public bool IsValid => Settings is not null && Problems.Count == 0;

    public ServerSettings GetSettingsOrThrow() => IsValid ? Settings : throw new SettingsException(Problems);
}
