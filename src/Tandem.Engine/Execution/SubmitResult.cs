namespace Tandem.Engine.Execution;

public enum SubmitError
{
    None,

    /// <summary>The request breaks a limit or carries bad values; the message says which.</summary>
    Invalid,

    /// <summary>The waiting queue is full; try again later.</summary>
    QueueFull,

    /// <summary>The engine is shutting down.</summary>
    Stopped,
}

/// <summary>The outcome of <see cref="InferenceEngine.Submit"/>: a handle, or why there is none.</summary>
public readonly record struct SubmitResult(RequestHandle? Handle, SubmitError Error, string? Message)
{
    public bool Accepted => Handle is not null;
}
