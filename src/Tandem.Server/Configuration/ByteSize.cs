using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Tandem.Server.Configuration;

/// <summary>
/// Parses memory sizes: plain bytes (<c>536870912</c>) or a number with a unit. SI units are powers of 1000
/// (<c>K</c>/<c>KB</c>, <c>M</c>/<c>MB</c>, <c>G</c>/<c>GB</c>, <c>T</c>/<c>TB</c>), IEC units powers of 1024
/// (<c>Ki</c>/<c>KiB</c>, <c>Mi</c>/<c>MiB</c>, <c>Gi</c>/<c>GiB</c>, <c>Ti</c>/<c>TiB</c>); units ignore case,
/// fractions are allowed (<c>1.5G</c>) and round down to whole bytes.
/// </summary>
public static class ByteSize
{
    public const string Units = "B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)";

    private static readonly Dictionary<string, decimal> Multipliers = new(StringComparer.OrdinalIgnoreCase)
    {
        [""] = 1m,
        ["B"] = 1m,
        ["K"] = 1e3m,
        ["KB"] = 1e3m,
        ["M"] = 1e6m,
        ["MB"] = 1e6m,
        ["G"] = 1e9m,
        ["GB"] = 1e9m,
        ["T"] = 1e12m,
        ["TB"] = 1e12m,
        ["Ki"] = 1L << 10,
        ["KiB"] = 1L << 10,
        ["Mi"] = 1L << 20,
        ["MiB"] = 1L << 20,
        ["Gi"] = 1L << 30,
        ["GiB"] = 1L << 30,
        ["Ti"] = 1L << 40,
        ["TiB"] = 1L << 40,
    };

    public static bool TryParse(string text, out long bytes, [NotNullWhen(false)] out string? error)
    {
        bytes = 0;
        var trimmed = text.Trim();
        var numberEnd = 0;
        while (numberEnd < trimmed.Length && (char.IsAsciiDigit(trimmed[numberEnd]) || trimmed[numberEnd] is '.' or '-' or '+'))
        {
            numberEnd++;
        }

        var unit = trimmed[numberEnd..].Trim();
        if (!decimal.TryParse(trimmed[..numberEnd], NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            error = $"expected a size such as 536870912, 512MB, 2GiB or 1.5G, got '{text}'";
            return false;
        }

        if (!Multipliers.TryGetValue(unit, out var multiplier))
        {
            error = $"unknown unit '{unit}' in '{text}'; use {Units}";
            return false;
        }

        if (number <= 0)
        {
            error = $"must be positive, got '{text}'";
            return false;
        }

        if (number > long.MaxValue)
        {
            error = $"is too large, got '{text}'";
            return false;
        }

        var total = decimal.Floor(number * multiplier);
        if (total < 1 || total > long.MaxValue)
        {
            error = total < 1 ? $"must be at least one byte, got '{text}'" : $"is too large, got '{text}'";
            return false;
        }

        bytes = (long)total;
        error = null;
        return true;
    }
}
