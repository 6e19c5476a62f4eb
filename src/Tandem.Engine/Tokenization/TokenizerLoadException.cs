namespace Tandem.Engine.Tokenization;

/// <summary>A tokenizer file is missing, malformed, or describes a tokenizer Tandem does not support.</summary>
public sealed class TokenizerLoadException : Exception
{
    public TokenizerLoadException()
    {
    }

    public TokenizerLoadException(string message)
        : base(message)
    {
    }

    public TokenizerLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
