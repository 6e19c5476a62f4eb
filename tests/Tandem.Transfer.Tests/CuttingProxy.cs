using System.Net;
using System.Net.Sockets;

namespace Tandem.Transfer.Tests;

/// <summary>
/// A loopback relay that passes the receiver's bytes through but cuts both connections once the sender has
/// sent <c>cutAfter</c> bytes toward the receiver: a connection lost in the middle of a transfer.
/// </summary>
internal sealed class CuttingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _relay;

    public CuttingProxy(IPEndPoint target, int cutAfter)
    {
        _listener.Start();
        _relay = RelayAsync(target, cutAfter);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _relay.WaitAsync(TimeSpan.FromSeconds(5));
        _listener.Dispose();
    }

    private async Task RelayAsync(IPEndPoint target, int cutAfter)
    {
        using var receiver = await _listener.AcceptTcpClientAsync();
        using var sender = new TcpClient();
        await sender.ConnectAsync(target);
        var toSender = receiver.GetStream().CopyToAsync(sender.GetStream());
        var toReceiver = sender.GetStream();
        var buffer = new byte[4096];
        var passed = 0;
        while (passed < cutAfter)
        {
            var read = await toReceiver.ReadAsync(buffer.AsMemory(0, Math.Min(buffer.Length, cutAfter - passed)));
            if (read == 0)
            {
                break;
            }

            await receiver.GetStream().WriteAsync(buffer.AsMemory(0, read));
            passed += read;
        }

        receiver.Client.LingerState = new LingerOption(true, 0);
        sender.Client.LingerState = new LingerOption(true, 0);
        receiver.Close();
        sender.Close();
        await toSender.ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
