namespace Tandem.Contracts;

public sealed record StreamOptions
{
    public bool? IncludeUsage { get; init; }
}
