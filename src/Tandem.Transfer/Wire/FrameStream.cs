using System.Buffers.Binary;

namespace Tandem.Transfer.Wire;

/// <summary>
/// Frames over one connection's stream. Control frames go out in one write; data frames are written from the
/// caller's memory and read straight into the caller's memory, so nothing is buffered here beyond a frame header.
/// </summary>
internal sealed class FrameStream(Stream stream) : IAsyncDisposable
{
    private readonly byte[] _header = new byte[PullProtocol.FrameHeaderLength];

    public async ValueTask WriteControlAsync(FrameType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var frame = new byte[PullProtocol.FrameHeaderLength + payload.Length];
        WriteHeader(frame, type, payload.Length);
        payload.CopyTo(frame.AsMemory(PullProtocol.FrameHeaderLength));
        await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask WriteDataAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        WriteHeader(_header, FrameType.Data, chunk.Length);
        await stream.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The next frame's type and payload length; the payload is still to be read.</summary>
    public async ValueTask<(FrameType Type, int Length)> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        await stream.ReadExactlyAsync(_header, cancellationToken).ConfigureAwait(false);
        var type = (FrameType)_header[0];
        var length = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(1));
        if (!Enum.IsDefined(type))
        {
            throw new WireFormatException($"unknown frame type {(byte)type}");
        }

        if (length > int.MaxValue)
        {
            throw new WireFormatException($"{type} frame of {length} bytes is too long");
        }

        return (type, (int)length);
    }

    public async ValueTask<byte[]> ReadControlPayloadAsync(FrameType type, int length, CancellationToken cancellationToken)
    {
        if (length > PullProtocol.MaxControlPayload)
        {
            throw new WireFormatException($"{type} frame of {length} bytes exceeds the control limit of {PullProtocol.MaxControlPayload}");
        }

        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        return payload;
    }

    /// <summary>Reads a control frame that must be one of <paramref name="expected"/> or an Error frame.</summary>
    public async ValueTask<(FrameType Type, byte[] Payload)> ReadControlAsync(FrameType expected, CancellationToken cancellationToken)
    {
        var (type, length) = await ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
        if (type != expected && type != FrameType.Error)
        {
            throw new WireFormatException($"expected a {expected} frame, got {type}");
        }

        return (type, await ReadControlPayloadAsync(type, length, cancellationToken).ConfigureAwait(false));
    }

    public ValueTask ReadDataAsync(Memory<byte> destination, CancellationToken cancellationToken) =>
        stream.ReadExactlyAsync(destination, cancellationToken);

    public ValueTask DisposeAsync() => stream.DisposeAsync();

    private static void WriteHeader(Span<byte> destination, FrameType type, int length)
    {
        destination[0] = (byte)type;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[1..], (uint)length);
    }
}
