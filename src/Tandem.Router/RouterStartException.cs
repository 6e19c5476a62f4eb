namespace Tandem.Router;

/// <summary>The router could not start: a server never became healthy, or the address could not be bound.</summary>
public sealed class RouterStartException : Exception
{
    public RouterStartException()
    {
    }

    public RouterStartException(string message)
        : base(message)
    {
    }

    public RouterStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
