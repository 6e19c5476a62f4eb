namespace Tandem.Router.Benchmarking;

/// <summary>A one-line progress bar on standard error, redrawn in place; only when standard error is a terminal.</summary>
public static class ProgressLine
{
    private const int BarWidth = 30;

    /// <summary>A callback taking (finished, total); (-1, _) ends the line. Null when standard error is redirected.</summary>
    public static Action<int, int>? ForStandardError()
    {
        if (Console.IsErrorRedirected)
        {
            return null;
        }

        var gate = new Lock();
        var drawn = false;
        return (finished, total) =>
        {
            lock (gate)
            {
                if (finished < 0)
                {
                    if (drawn)
                    {
                        Console.Error.WriteLine();
                        drawn = false;
                    }

                    return;
                }

                var filled = total > 0 ? finished * BarWidth / total : 0;
                Console.Error.Write($"\r[{new string('#', filled)}{new string('.', BarWidth - filled)}] {finished}/{total} requests");
                drawn = true;
            }
        };
    }
}
