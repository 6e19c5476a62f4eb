namespace Tandem.Engine.ChatTemplates;

/// <summary>
/// A chat template failed to parse (with the 1-based <see cref="Line"/> and <see cref="Column"/> of the
/// offending token) or to render (<c>raise_exception</c>, type errors, undefined calls; no position).
/// </summary>
public sealed class ChatTemplateException : Exception
{
    public ChatTemplateException()
    {
    }

    public ChatTemplateException(string message)
        : base(message)
    {
    }

    public ChatTemplateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ChatTemplateException(string message, int line, int column)
        : base($"{message} (line {line}, column {column})")
    {
        Line = line;
        Column = column;
    }

    public int? Line { get; }

    public int? Column { get; }
}
