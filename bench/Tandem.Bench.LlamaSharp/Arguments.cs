using System.Globalization;

namespace Tandem.Bench.LlamaSharp;

/// <summary>Positional arguments and <c>--name value</c> options (flags without a value: <see cref="Flag"/>).</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public Arguments(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                Positional.Add(args[i]);
            }
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                _options[args[i]] = args[++i];
            }
            else
            {
                _flags.Add(args[i]);
            }
        }
    }

    public List<string> Positional { get; } = [];

    public string Required(int index, string what) =>
        index < Positional.Count ? Positional[index] : throw new ArgumentException($"missing argument: {what}");

    public string? Text(string name) => _options.GetValueOrDefault(name);

    public bool Flag(string name) => _flags.Contains(name);

    public int Int(string name, int fallback) => _options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double? Double(string name) => _options.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : null;

    public int[] Ints(string name, int[] fallback) => _options.TryGetValue(name, out var v)
        ? [.. v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))]
        : fallback;
}
