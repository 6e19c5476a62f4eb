using System.Text.Json;

namespace Tandem.Contracts.Parsing;

/// <summary>
/// Thrown by Tandem's converters for a value they refuse. The serializer fills in the path of the
/// property being converted; <see cref="SubPath"/> continues it into the value (e.g. <c>[0].type</c>),
/// and <see cref="Describe"/> words the error for the full parameter path.
/// </summary>
internal sealed class ContractViolationException(string subPath, Func<string, string> describe) : JsonException("The request violates the API contract.")
{
    public string SubPath { get; } = subPath;

    public Func<string, string> Describe { get; } = describe;

    public static ContractViolationException InvalidType(string subPath, string expected) =>
        new(subPath, param => $"Invalid type for '{param}': expected {expected}.");
}
