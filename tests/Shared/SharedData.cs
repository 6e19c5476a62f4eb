namespace Tandem.Testing;

/// <summary>
/// Locates <c>../shared</c> (or <c>$TANDEM_SHARED</c>): the real model, golden outputs and test vectors.
/// Tests that need it call <see cref="Require"/>, which skips the test with the reason when it is missing.
/// </summary>
internal static class SharedData
{
    private static readonly Lazy<string?> Root = new(Find);

    public static string? Directory => Root.Value;

    public static string Require(params string[] relative)
    {
        var root = Root.Value;
        if (root is null)
        {
            Assert.Skip("shared data not found: set TANDEM_SHARED or place ../shared beside the repository");
        }

        var path = Path.Combine([root, .. relative]);
        if (!File.Exists(path) && !System.IO.Directory.Exists(path))
        {
            Assert.Skip($"shared data missing: {path}");
        }

        return path;
    }

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("TANDEM_SHARED");
        if (!string.IsNullOrEmpty(env))
        {
            return System.IO.Directory.Exists(env) ? env : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tandem.slnx")))
            {
                var shared = Path.Combine(dir.Parent?.FullName ?? dir.FullName, "shared");
                return System.IO.Directory.Exists(shared) ? shared : null;
            }
        }

        return null;
    }
}
