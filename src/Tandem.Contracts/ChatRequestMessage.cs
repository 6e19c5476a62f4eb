namespace Tandem.Contracts;

/// <summary>
/// One message of a chat request. Text parts of a list content are joined with '\n' (as vLLM does);
/// <see cref="Content"/> is null only for an assistant message without content.
/// </summary>
public sealed record ChatRequestMessage(string Role, string? Content)
{
    public string? Name { get; init; }
}
