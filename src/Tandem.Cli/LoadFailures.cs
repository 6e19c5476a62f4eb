using Tandem.Engine.Models;
using Tandem.Engine.Tokenization;

namespace Tandem.Cli;

/// <summary>Turns the expected failures of loading a model into one "error: ..." line and exit code 1, instead of a stack trace.</summary>
internal static class LoadFailures
{
    public static async Task<int> ReportAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ex is ModelLoadException or TokenizerLoadException or ArgumentException or IOException or UnauthorizedAccessException or HttpRequestException)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
    }
}
