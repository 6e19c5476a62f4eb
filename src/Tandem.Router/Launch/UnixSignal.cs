using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tandem.Router.Launch;

/// <summary>Sends SIGTERM, which .NET's <see cref="Process.Kill()"/> cannot (it sends SIGKILL).</summary>
internal static partial class UnixSignal
{
    private const int SigTerm = 15;

    /// <summary>Asks the process to stop (SIGTERM); on Windows, where there is no such signal, kills it.</summary>
    public static void Terminate(Process process)
    {
        if (OperatingSystem.IsWindows())
        {
            process.Kill(entireProcessTree: true);
            return;
        }

        _ = Kill(process.Id, SigTerm);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
