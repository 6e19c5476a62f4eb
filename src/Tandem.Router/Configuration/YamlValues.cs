using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Tandem.Router.Configuration;

/// <summary>Reads typed values out of YAML nodes, reporting a wrong value under its key path; compares and prints raw values.</summary>
internal static class YamlValues
{
    /// <summary>A null value (<c>key:</c>, <c>~</c>, <c>null</c>) keeps the default, as in TensorRT-LLM.</summary>
    public static bool IsNull(YamlNode? node) =>
        node is null or YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "mapping",
        YamlSequenceNode => "list",
        YamlScalarNode scalar => $"value '{scalar.Value}'",
        _ => node.NodeType.ToString(),
    };

    public static int? Integer(YamlNode node, string path, int min, int max, ConfigProblems problems)
    {
        if (Scalar(node, path, problems) is not { } text)
        {
            return null;
        }

        if (!int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            problems.Add(path, $"expected an integer, got '{text}'", node);
            return null;
        }

        if (value < min || value > max)
        {
            problems.Add(path, max == int.MaxValue ? $"must be at least {min}, got {value}" : $"must be between {min} and {max}, got {value}", node);
            return null;
        }

        return value;
    }

    /// <summary>YAML 1.1 booleans, as PyYAML reads TensorRT-LLM's files.</summary>
    public static bool? Boolean(YamlNode node, string path, ConfigProblems problems)
    {
        if (Scalar(node, path, problems) is not { } text)
        {
            return null;
        }

        if (ParseBoolean(text) is { } value)
        {
            return value;
        }

        problems.Add(path, $"expected true or false, got '{text}'", node);
        return null;
    }

    public static string? Text(YamlNode node, string path, ConfigProblems problems)
    {
        var text = Scalar(node, path, problems);
        if (text is not null && string.IsNullOrWhiteSpace(text))
        {
            problems.Add(path, "must not be empty", node);
            return null;
        }

        return text?.Trim();
    }

    public static string? Scalar(YamlNode node, string path, ConfigProblems problems)
    {
        if (node is YamlScalarNode { Value: { } text })
        {
            return text;
        }

        problems.Add(path, $"expected a single value, got a {Describe(node)}", node);
        return null;
    }

    /// <summary>Equal as PyYAML would load them: scalars by value (numbers numerically, booleans by truth), collections element by element.</summary>
    public static bool SameValue(YamlNode a, YamlNode b) => (a, b) switch
    {
        (YamlScalarNode x, YamlScalarNode y) => SameScalar(x.Value ?? "", y.Value ?? ""),
        (YamlSequenceNode x, YamlSequenceNode y) => x.Children.Count == y.Children.Count && x.Children.Zip(y.Children).All(p => SameValue(p.First, p.Second)),
        (YamlMappingNode x, YamlMappingNode y) => x.Children.Count == y.Children.Count && x.Children.All(p => Lookup(y, ToText(p.Key)) is { } other && SameValue(p.Value, other)),
        _ => false,
    };

    /// <summary>The value as YAML text: a scalar as written, a collection in flow style (one line).</summary>
    public static string ToText(YamlNode node) => node switch
    {
        YamlScalarNode scalar => scalar.Value ?? "",
        YamlSequenceNode sequence => "[" + string.Join(", ", sequence.Children.Select(ToText)) + "]",
        YamlMappingNode mapping => "{" + string.Join(", ", mapping.Children.Select(p => $"{ToText(p.Key)}: {ToText(p.Value)}")) + "}",
        _ => node.ToString(),
    };

    private static YamlNode? Lookup(YamlMappingNode mapping, string key) =>
        mapping.Children.FirstOrDefault(p => ToText(p.Key) == key).Value;

    private static bool SameScalar(string a, string b)
    {
        if (string.Equals(a, b, StringComparison.Ordinal))
        {
            return true;
        }

        if (double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var y))
        {
            return x == y;
        }

        return ParseBoolean(a) is { } p && ParseBoolean(b) is { } q && p == q;
    }

    private static bool? ParseBoolean(string text) => text.Trim().ToLowerInvariant() switch
    {
        "true" or "yes" or "on" => true,
        "false" or "no" or "off" => false,
        _ => null,
    };
}
