using System.Runtime.InteropServices;

namespace Tandem.Router.Launch;

/// <summary>
/// A token cancelled by SIGTERM, SIGINT or SIGQUIT (or by the token it links), with the signal's default action
/// (ending the process at once) suppressed, so that a launcher stops its children and waits for them first.
/// System.CommandLine handles these signals only when its invocation sets a process termination timeout; this
/// works either way.
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly List<PosixSignalRegistration> _registrations = [];

    public StopSignals(CancellationToken linked)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(linked);
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }
    }

    public CancellationToken Token => _stop.Token;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        _ = _stop.CancelAsync();
    }
}
