namespace Tandem.Router.Launch;

/// <summary>Where <c>tandem up</c> writes: its children's prefixed lines and its own <c>[up]</c> lines, one whole line at a time.</summary>
public sealed class LaunchOutput(TextWriter output, TextWriter error)
{
    private readonly Lock _lock = new();

    public void Line(string prefix, string text)
    {
        lock (_lock)
        {
            output.WriteLine($"[{prefix}] {text}");
            output.Flush();
        }
    }

    public void Error(string text)
    {
        lock (_lock)
        {
            output.Flush();
            error.WriteLine($"[up] error: {text}");
            error.Flush();
        }
    }
}
