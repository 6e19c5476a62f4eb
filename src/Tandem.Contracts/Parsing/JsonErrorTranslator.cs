using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Tandem.Contracts.Parsing;

/// <summary>
/// Turns a serializer exception into a <see cref="RequestError"/>: the serializer's JSON path becomes
/// the param, and the expected type is read from the source-generated metadata along that path.
/// </summary>
internal static class JsonErrorTranslator
{
    public static RequestError Translate(JsonException exception, JsonTypeInfo root)
    {
        var path = ToParam(exception.Path);
        if (exception is ContractViolationException violation)
        {
            var param = path is null ? TrimDot(violation.SubPath) : path + violation.SubPath;
            return new RequestError(violation.Describe(param), param.Length == 0 ? null : param);
        }

        if (path is null)
            return new RequestError("The request body must be a JSON object.", null);
        return Describe(ResolveType(root, path)) is { } expected
            ? new RequestError($"Invalid type for '{path}': expected {expected}.", path)
            : new RequestError($"Invalid value for '{path}'.", path);
    }

    /// <summary>"$.messages[0].content" becomes "messages[0].content"; the root becomes null.</summary>
    private static string? ToParam(string? jsonPath)
    {
        if (string.IsNullOrEmpty(jsonPath) || jsonPath == "$")
            return null;
        return TrimDot(jsonPath.StartsWith('$') ? jsonPath[1..] : jsonPath);
    }

    private static string TrimDot(string path) => path.StartsWith('.') ? path[1..] : path;

    private static Type? ResolveType(JsonTypeInfo root, string path)
    {
        var info = root;
        var position = 0;
        while (position < path.Length)
        {
            if (path[position] == '[')
            {
                var close = path.IndexOf(']', position);
                if (close < 0 || info.ElementType is not { } element)
                    return null;
                info = info.Options.GetTypeInfo(element);
                position = close + 1;
                continue;
            }

            if (path[position] == '.')
                position++;
            var end = path.IndexOfAny(['.', '['], position);
            if (end < 0)
                end = path.Length;
            var name = path[position..end];
            var property = info.Properties.FirstOrDefault(p => p.Name == name);
            if (property is null)
                return null;
            info = info.Options.GetTypeInfo(property.PropertyType);
            position = end;
        }

        return info.Type;
    }

    private static string? Describe(Type? type)
    {
        if (type is null)
            return null;
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(int) || type == typeof(long))
            return "an integer";
        if (type == typeof(double) || type == typeof(float))
            return "a number";
        if (type == typeof(bool))
            return "a boolean";
        if (type == typeof(string))
            return "a string";
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
            return Describe(type.GetGenericArguments()[0]) is { } element ? $"a list of {Plural(element)}" : "a list";
        return type.IsClass ? "an object" : null;
    }

    private static string Plural(string element) => element switch
    {
        "an integer" => "integers",
        "a number" => "numbers",
        "a boolean" => "booleans",
        "a string" => "strings",
        "an object" => "objects",
        _ => "values",
    };
}
