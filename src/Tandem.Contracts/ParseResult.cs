using System.Diagnostics.CodeAnalysis;

namespace Tandem.Contracts;

/// <summary>Either a parsed request or the <see cref="RequestError"/> that refused it.</summary>
public sealed class ParseResult<T>
    where T : class
{
    public ParseResult(T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Value = value;
    }

    public ParseResult(RequestError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
    }

    public T? Value { get; }

    public RequestError? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Value is not null;

    public static implicit operator ParseResult<T>(T value) => new(value);

    public static implicit operator ParseResult<T>(RequestError error) => new(error);
}
