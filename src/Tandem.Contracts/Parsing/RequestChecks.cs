namespace Tandem.Contracts.Parsing;

/// <summary>The wording of refusals, one place so that every field reads alike.</summary>
internal static class RequestChecks
{
    public static RequestError Missing(string param) => new($"Missing required parameter: '{param}'.", param);

    public static RequestError? Range<T>(string param, T? value, bool valid, string expected)
        where T : struct =>
        value is null || valid ? null : new RequestError($"Invalid '{param}': expected {expected}, but got {value}.", param);
}
