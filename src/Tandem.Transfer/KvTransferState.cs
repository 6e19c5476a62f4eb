using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Tandem.Engine.KvCache;
using Tandem.Transfer.Wire;

namespace Tandem.Transfer;

/// <summary>
/// What a context server hands back as <c>encoded_opaque_state</c>: where to pull a request's KV blocks from,
/// the layout they have, and the one-time secret that authorizes the pull.
/// <code>
/// version u8 = 1 | host str | port u16 | request id str | layout | secret [32]
/// layout := fingerprint str | layers i32 | KV heads i32 | head size i32 | tokens per block i32 | dtype str
/// str    := u16 byte length | UTF-8 bytes            (integers little-endian)
/// </code>
/// </summary>
public sealed record KvTransferState
{
    public const byte CurrentVersion = 1;
    public const int SecretLength = 32;

    public KvTransferState(string host, int port, string requestId, KvCacheLayout layout, ReadOnlyMemory<byte> secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, ushort.MaxValue);
        ArgumentException.ThrowIfNullOrEmpty(requestId);
        ArgumentNullException.ThrowIfNull(layout);
        if (secret.Length != SecretLength)
        {
            throw new ArgumentException($"the secret must be {SecretLength} bytes (got {secret.Length})", nameof(secret));
        }

        Host = host;
        Port = port;
        RequestId = requestId;
        Layout = layout;
        Secret = secret;
    }

    public string Host { get; init; }

    public int Port { get; init; }

    public string RequestId { get; init; }

    public KvCacheLayout Layout { get; init; }

    public ReadOnlyMemory<byte> Secret { get; init; }

    public static ReadOnlyMemory<byte> NewSecret() => RandomNumberGenerator.GetBytes(SecretLength);

    public string Encode()
    {
        var writer = new WireWriter();
        writer.WriteByte(CurrentVersion);
        writer.WriteString(Host);
        writer.WriteUInt16((ushort)Port);
        writer.WriteString(RequestId);
        LayoutCodec.Write(writer, Layout);
        writer.WriteBytes(Secret.Span);
        return Convert.ToBase64String(writer.Written.Span);
    }

    public static bool TryDecode(string? encoded, [NotNullWhen(true)] out KvTransferState? state, [NotNullWhen(false)] out string? error)
    {
        state = null;
        if (string.IsNullOrEmpty(encoded))
        {
            error = "encoded_opaque_state is empty";
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(encoded);
        }
        catch (FormatException)
        {
            error = "encoded_opaque_state is not valid base64";
            return false;
        }

        try
        {
            state = Read(bytes);
            error = null;
            return true;
        }
        catch (WireFormatException e)
        {
            error = $"encoded_opaque_state is not a Tandem KV transfer state: {e.Message}";
            return false;
        }
    }

    private static KvTransferState Read(ReadOnlySpan<byte> bytes)
    {
        var reader = new WireReader(bytes);
        var version = reader.ReadByte("version");
        if (version != CurrentVersion)
        {
            throw new WireFormatException($"version {version} is not supported (this build reads version {CurrentVersion})");
        }

        var host = reader.ReadString("host");
        var port = reader.ReadUInt16("port");
        var requestId = reader.ReadString("request id");
        var layout = LayoutCodec.Read(ref reader);
        var secret = reader.ReadBytes(SecretLength, "secret").ToArray();
        reader.ExpectEnd("secret");
        if (host.Length == 0 || port == 0 || requestId.Length == 0)
        {
            throw new WireFormatException($"host, port and request id must be set (got '{host}', {port}, '{requestId}')");
        }

        return new KvTransferState(host, port, requestId, layout, secret);
    }
}
