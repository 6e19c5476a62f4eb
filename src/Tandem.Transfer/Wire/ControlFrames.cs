using Tandem.Engine.KvCache;

namespace Tandem.Transfer.Wire;

internal readonly record struct HelloFrame(string RequestId, ReadOnlyMemory<byte> Secret)
{
    public ReadOnlyMemory<byte> Encode()
    {
        var writer = new WireWriter();
        writer.WriteBytes(PullProtocol.Magic);
        writer.WriteByte(PullProtocol.Version);
        writer.WriteString(RequestId);
        writer.WriteBytes(Secret.Span);
        return writer.Written;
    }

    public static HelloFrame Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload);
        if (!reader.ReadBytes(PullProtocol.Magic.Length, "magic").SequenceEqual(PullProtocol.Magic))
        {
            throw new WireFormatException("not a Tandem KV transfer hello (bad magic)");
        }

        var version = reader.ReadByte("version");
        if (version != PullProtocol.Version)
        {
            throw new WireFormatException($"protocol version {version} is not supported (this sender speaks {PullProtocol.Version})");
        }

        var requestId = reader.ReadString("request id");
        var secret = reader.ReadBytes(KvTransferState.SecretLength, "secret").ToArray();
        reader.ExpectEnd("hello");
        return new HelloFrame(requestId, secret);
    }
}

internal readonly record struct HeaderFrame(KvCacheLayout Layout, int TokenCount, long TotalBytes, int ChunkBytes)
{
    public ReadOnlyMemory<byte> Encode()
    {
        var writer = new WireWriter();
        LayoutCodec.Write(writer, Layout);
        writer.WriteInt32(TokenCount);
        writer.WriteInt64(TotalBytes);
        writer.WriteInt32(ChunkBytes);
        return writer.Written;
    }

    public static HeaderFrame Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload);
        var header = new HeaderFrame(LayoutCodec.Read(ref reader), reader.ReadInt32("token count"), reader.ReadInt64("total bytes"), reader.ReadInt32("chunk bytes"));
        reader.ExpectEnd("header");
        if (header.TokenCount < 0 || header.ChunkBytes <= 0 || header.TotalBytes != header.Layout.BlocksFor(header.TokenCount) * header.Layout.BlockBytes)
        {
            throw new WireFormatException(
                $"header is inconsistent: {header.TokenCount} tokens, {header.TotalBytes} bytes, chunks of {header.ChunkBytes} bytes for [{header.Layout}]");
        }

        if (header.TotalBytes > Array.MaxLength)
        {
            throw new WireFormatException($"{header.TotalBytes} bytes of KV exceed what one snapshot can hold");
        }

        return header;
    }
}

internal readonly record struct ErrorFrame(KvTransferError Error, string Reason)
{
    public ReadOnlyMemory<byte> Encode()
    {
        var writer = new WireWriter();
        writer.WriteByte((byte)Error);
        writer.WriteString(Reason.Length > 4096 ? Reason[..4096] : Reason);
        return writer.Written;
    }

    public static ErrorFrame Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new WireReader(payload);
        var code = (KvTransferError)reader.ReadByte("error code");
        var reason = reader.ReadString("reason");
        reader.ExpectEnd("error");
        return new ErrorFrame(Enum.IsDefined(code) ? code : KvTransferError.Protocol, reason);
    }
}
