using System.Text.RegularExpressions;

namespace Tandem.Router.Configuration;

/// <summary>A worker's address as the config writes it: <c>host:port</c> (TensorRT-LLM's form) or <c>http://host:port</c>.</summary>
internal static partial class ServerUrl
{
    public static Uri? Parse(string text, out string? error)
    {
        var trimmed = text.Trim();
        var withScheme = trimmed.Contains("://", StringComparison.Ordinal) ? trimmed : "http://" + trimmed;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            error = $"'{text}' is not a server address; write host:port, e.g. localhost:8001";
            return null;
        }

        var authority = withScheme[(withScheme.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/');
        if (!ExplicitPort().IsMatch(authority))
        {
            error = $"'{text}' has no port; write host:port, e.g. {uri.Host}:8001";
            return null;
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0)
        {
            error = $"'{text}' has a path; write only host:port (the router adds /v1/...)";
            return null;
        }

        if (uri.Port == 0)
        {
            error = $"'{text}' has port 0; a server needs its real port";
            return null;
        }

        error = null;
        return new Uri($"{uri.Scheme}://{uri.Authority}/");
    }

    [GeneratedRegex(@":\d+$")]
    private static partial Regex ExplicitPort();
}
