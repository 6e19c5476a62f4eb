namespace Tandem.Router.Launch;

/// <summary>
/// Keeps the process alive until a task ends. System.CommandLine answers SIGTERM/SIGINT by cancelling the action's
/// token and, two seconds later, returning from <c>Main</c> even if the action is still running; a foreground thread
/// that waits for the task holds the runtime open until it is done, so that children are stopped and waited for.
/// </summary>
public static class ExitGuard
{
    public static Task<T> Hold<T>(Task<T> task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var guard = new Thread(() => ((IAsyncResult)task).AsyncWaitHandle.WaitOne()) { IsBackground = false, Name = "tandem exit guard" };
        guard.Start();
        return task;
    }
}
