using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tandem.Transfer.Tests;

/// <summary>The receiver against senders that misbehave: silent, speaking another protocol, overrunning.</summary>
public sealed class KvTransferClientTests
{
    private static readonly KvTransferClient Client = new(
        new KvTransferClientOptions { ConnectTimeout = TimeSpan.FromSeconds(2), IoTimeout = TimeSpan.FromMilliseconds(300) },
        TimeProvider.System,
        NullLogger.Instance);

    [Fact]
    public async Task A_silent_sender_times_out()
    {
        var result = await PullFromScriptAsync(async (stream, ct) => await Task.Delay(Timeout.Infinite, ct));

        Assert.Equal(KvTransferError.Timeout, result.Error);
    }

    [Fact]
    public async Task A_sender_speaking_another_protocol_is_a_protocol_failure()
    {
        var result = await PullFromScriptAsync(async (stream, ct) =>
        {
            await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray(), ct);
            await Task.Delay(Timeout.Infinite, ct);
        });

        Assert.Equal(KvTransferError.Protocol, result.Error);
    }

    [Fact]
    public async Task A_sender_that_closes_before_answering_is_broken()
    {
        var result = await PullFromScriptAsync((stream, ct) => Task.CompletedTask);

        Assert.Equal(KvTransferError.Broken, result.Error);
    }

    [Fact]
    public async Task A_data_frame_larger_than_the_announced_chunk_is_a_protocol_failure()
    {
        var source = new FakeKvSource(TransportPair.Layout);
        var snapshot = source.Hold("x", tokens: 8);
        var result = await PullFromScriptAsync(async (stream, ct) =>
        {
            await ReadFrameAsync(stream, ct);
            var header = new Wire.HeaderFrame(snapshot.Layout, snapshot.TokenCount, snapshot.Data.Length, ChunkBytes: 100).Encode();
            await WriteFrameAsync(stream, Wire.FrameType.Header, header.ToArray(), ct);
            await ReadFrameAsync(stream, ct);
            await WriteFrameAsync(stream, Wire.FrameType.Data, new byte[101], ct);
            await Task.Delay(Timeout.Infinite, ct);
        });

        Assert.Equal(KvTransferError.Protocol, result.Error);
        Assert.Contains("overruns", result.Reason, StringComparison.Ordinal);
    }

    private static async Task<KvPullResult> PullFromScriptAsync(Func<NetworkStream, CancellationToken, Task> script)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var done = new CancellationTokenSource();
        var sender = Task.Run(async () =>
        {
            using var connection = await listener.AcceptTcpClientAsync(done.Token);
            try
            {
                await script(connection.GetStream(), done.Token);
            }
            catch (OperationCanceledException)
            {
            }
        });
        var state = new KvTransferState("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, "x", TransportPair.Layout, KvTransferState.NewSecret());

        var result = await Client.PullAsync(state, TransportPair.Layout, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10));

        await done.CancelAsync();
        await sender.WaitAsync(TimeSpan.FromSeconds(5));
        return result;
    }

    private static async Task ReadFrameAsync(NetworkStream stream, CancellationToken ct)
    {
        var header = new byte[5];
        await stream.ReadExactlyAsync(header, ct);
        await stream.ReadExactlyAsync(new byte[BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(1))], ct);
    }

    private static async Task WriteFrameAsync(NetworkStream stream, Wire.FrameType type, byte[] payload, CancellationToken ct)
    {
        var header = new byte[5];
        header[0] = (byte)type;
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(1), payload.Length);
        await stream.WriteAsync(header, ct);
        await stream.WriteAsync(payload, ct);
    }
}
