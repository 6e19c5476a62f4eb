using System.CommandLine;

namespace Tandem.Cli;

/// <summary>Builds options the way every Tandem command spells them: dashed names, with the underscore spelling as an alias.</summary>
internal static class Options
{
    public static Option<T> Named<T>(string name, string description, T defaultValue)
    {
        var option = new Option<T>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        var underscored = name.Replace('-', '_');
        if (underscored.StartsWith("__", StringComparison.Ordinal))
        {
            option.Aliases.Add("--" + underscored[2..]);
        }

        return option;
    }
}
