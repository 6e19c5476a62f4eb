namespace Tandem.Engine.Hub;

/// <summary>
/// Renders download progress as a one-line text bar, redrawn in place with a carriage return:
/// <c>model.safetensors  [##########----------]  1.1 GiB / 2.2 GiB  50%</c>.
/// Draws nothing unless enabled (by default: stderr is a terminal). Redraws at most every
/// <c>interval</c>, except when a file completes.
/// </summary>
public sealed class ConsoleProgressBar : IProgress<DownloadProgress>
{
    private const int BarWidth = 30;

    private readonly TextWriter _writer;
    private readonly bool _enabled;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly Lock _lock = new();
    private string? _file;
    private bool _fileDone;
    private long _lastDraw;

    public ConsoleProgressBar(TextWriter writer, bool enabled, TimeProvider timeProvider, TimeSpan? interval = null)
    {
        _writer = writer;
        _enabled = enabled;
        _time = timeProvider;
        _interval = interval ?? TimeSpan.FromMilliseconds(100);
    }

    /// <summary>A bar on stderr, drawn only when stderr is a terminal.</summary>
    public static ConsoleProgressBar ForStandardError(TimeProvider? timeProvider = null) =>
        new(Console.Error, !Console.IsErrorRedirected, timeProvider ?? TimeProvider.System);

    public void Report(DownloadProgress value)
    {
        if (!_enabled)
        {
            return;
        }

        lock (_lock)
        {
            var now = _time.GetTimestamp();
            if (value.File != _file)
            {
                if (_file is not null && !_fileDone)
                {
                    _writer.WriteLine();
                }

                _file = value.File;
                _fileDone = false;
            }
            else if (_fileDone || (!value.IsComplete && _time.GetElapsedTime(_lastDraw, now) < _interval))
            {
                return;
            }

            _lastDraw = now;
            _writer.Write('\r' + Render(value));
            if (value.IsComplete)
            {
                _writer.WriteLine();
                _fileDone = true;
            }

            _writer.Flush();
        }
    }

    public static string Render(DownloadProgress p)
    {
        if (p.TotalBytes is not { } total || total <= 0)
        {
            return $"{p.File}  {Size(p.BytesDone)}";
        }

        var fraction = Math.Clamp((double)p.BytesDone / total, 0, 1);
        var filled = (int)(fraction * BarWidth);
        return $"{p.File}  [{new string('#', filled)}{new string('-', BarWidth - filled)}]  {Size(p.BytesDone)} / {Size(total)}  {(int)(fraction * 100),3}%";
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F1} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):F1} KiB",
        _ => $"{bytes} B",
    };
}
