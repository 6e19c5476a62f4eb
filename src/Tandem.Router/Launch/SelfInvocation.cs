using System.Reflection;

namespace Tandem.Router.Launch;

/// <summary>
/// How to start this same <c>tandem</c> again as a child process: the native apphost directly, or
/// <c>dotnet tandem.dll</c> when the process is the <c>dotnet</c> host running the entry assembly.
/// </summary>
public sealed record SelfInvocation(string FileName, IReadOnlyList<string> LeadingArguments)
{
    public static SelfInvocation Current()
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this executable is unknown, so tandem cannot start itself");
        var host = Path.GetFileNameWithoutExtension(processPath);
        if (string.Equals(host, "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            var entry = Assembly.GetEntryAssembly()?.Location;
            if (string.IsNullOrEmpty(entry))
            {
                throw new InvalidOperationException("running under dotnet without an entry assembly on disk, so tandem cannot start itself");
            }

            return new SelfInvocation(processPath, [entry]);
        }

        return new SelfInvocation(processPath, []);
    }
}
