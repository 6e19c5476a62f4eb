namespace Tandem.Engine.Execution;

/// <summary>
/// Why a request cannot run: a message for the client and the request field it is about, spelled as
/// the OpenAI/vLLM request spells it (null when no one field is at fault), for the error's "param".
/// </summary>
public readonly record struct RequestProblem(string? Param, string Message)
{
    public override string ToString() => Message;
}
