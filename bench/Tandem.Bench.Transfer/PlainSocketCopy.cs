using System.Net;
using System.Net.Sockets;

/// <summary>The baseline: connect over loopback, send the bytes in one write, read them into a fresh array.</summary>
internal static class PlainSocketCopy
{
    public static async Task<byte[]> RunAsync(byte[] data)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var send = Task.Run(async () =>
        {
            using var socket = await listener.AcceptAsync();
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(data);
        });

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync((IPEndPoint)listener.LocalEndPoint!);
        await using var stream = new NetworkStream(client, ownsSocket: false);
        var received = GC.AllocateUninitializedArray<byte>(data.Length);
        await stream.ReadExactlyAsync(received);
        await send;
        return received;
    }
}
