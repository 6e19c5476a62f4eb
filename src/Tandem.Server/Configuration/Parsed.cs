namespace Tandem.Server.Configuration;

/// <summary>A setting's parsed value, or why its text is not one.</summary>
internal readonly record struct Parsed<T>(T Value, string? Error)
{
    public static Parsed<T> Ok(T value) => new(value, null);

    public static Parsed<T> Fail(string error) => new(default!, error);
}
