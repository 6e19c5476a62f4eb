namespace Tandem.Engine.Models;

/// <summary>
/// A model could not be found, read or validated. <see cref="Problems"/> lists every problem found
/// in <see cref="FilePath"/>; the message names the file and each problem.
/// </summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException()
    {
    }

    public ModelLoadException(string message)
        : base(message)
    {
    }

    public ModelLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ModelLoadException(string filePath, IReadOnlyList<string> problems, Exception? innerException = null)
        : base(Format(filePath, problems), innerException)
    {
        FilePath = filePath;
        Problems = problems;
    }

    public string? FilePath { get; }

    public IReadOnlyList<string> Problems { get; } = [];

    private static string Format(string filePath, IReadOnlyList<string> problems) => problems.Count == 1
        ? $"{filePath}: {problems[0]}"
        : $"{filePath}: {problems.Count} problems:{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", problems)}";
}
