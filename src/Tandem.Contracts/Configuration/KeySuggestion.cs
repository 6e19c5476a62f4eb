namespace Tandem.Contracts.Configuration;

/// <summary>Explains an unknown key: the known key it is probably a typo of, or else the keys known in its place.</summary>
public static class KeySuggestion
{
    public static string UnknownKey(string key, IEnumerable<string> known, string? where = null)
    {
        var names = known.Order(StringComparer.Ordinal).ToList();
        var closest = names.MinBy(name => EditDistance(key, name));
        if (closest is not null && EditDistance(key, closest) <= Math.Max(2, key.Length / 4))
        {
            return $"unknown key; did you mean '{closest}'?";
        }

        return where is null ? $"unknown key; the keys here are {string.Join(", ", names)}" : $"unknown key; {where}";
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
