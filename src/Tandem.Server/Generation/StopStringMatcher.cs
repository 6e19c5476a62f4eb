namespace Tandem.Server.Generation;

/// <summary>
/// Finds stop strings in streamed text that arrives in arbitrary pieces (a stop string may span
/// several tokens). Text that could still turn out to be the start of a stop string is held back
/// until it is decided, so nothing after a stop string is ever emitted.
/// </summary>
internal sealed class StopStringMatcher
{
    private readonly string[] _stops;
    private readonly int _longest;
    private string _held = string.Empty;

    public StopStringMatcher(IReadOnlyList<string> stops)
    {
        _stops = [.. stops.Where(s => s.Length > 0)];
        _longest = _stops.Length == 0 ? 0 : _stops.Max(s => s.Length);
    }

    public bool Matched { get; private set; }

    /// <summary>Adds text; returns what can be emitted now. After a match, returns the text before the stop string and then only "".</summary>
    public string Push(string text)
    {
        if (Matched || text.Length == 0)
        {
            return string.Empty;
        }

        if (_stops.Length == 0)
        {
            return text;
        }

        var buffer = _held + text;
        var first = -1;
        foreach (var stop in _stops)
        {
            var at = buffer.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }

        if (first >= 0)
        {
            Matched = true;
            _held = string.Empty;
            return buffer[..first];
        }

        var keep = HeldSuffixLength(buffer);
        _held = buffer[^keep..];
        return buffer[..^keep];
    }

    /// <summary>Releases held text when generation ended without a match.</summary>
    public string Flush()
    {
        var rest = Matched ? string.Empty : _held;
        _held = string.Empty;
        return rest;
    }

    /// <summary>Length of the longest suffix of <paramref name="buffer"/> that is a proper prefix of some stop string.</summary>
    private int HeldSuffixLength(string buffer)
    {
        for (var length = Math.Min(_longest - 1, buffer.Length); length > 0; length--)
        {
            var suffix = buffer.AsSpan(buffer.Length - length);
            foreach (var stop in _stops)
            {
                if (stop.Length > length && stop.AsSpan().StartsWith(suffix, StringComparison.Ordinal))
                {
                    return length;
                }
            }
        }

        return 0;
    }
}
