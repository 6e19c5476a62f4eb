using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tandem.Contracts.Streaming;

namespace Tandem.Contracts;

/// <summary>
/// Server-sent events as OpenAI streams them: <c>data: {json}\n\n</c> per chunk, then <c>data: [DONE]\n\n</c>.
/// JSON is written as UTF-8 straight into the destination buffer; no strings in between.
/// The overloads without a <see cref="JsonTypeInfo{T}"/> take it from <see cref="ContractsJsonContext"/>.
/// </summary>
public static class ServerSentEvents
{
    public static ReadOnlyMemory<byte> Done { get; } = "data: [DONE]\n\n"u8.ToArray();

    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;

    private static ReadOnlySpan<byte> EventEnd => "\n\n"u8;

    public static byte[] Format<T>(T value) => Format(value, TypeInfo<T>());

    public static byte[] Format<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, value, typeInfo);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write<T>(IBufferWriter<byte> destination, T value) => Write(destination, value, TypeInfo<T>());

    public static void Write<T>(IBufferWriter<byte> destination, T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(destination);
        destination.Write(DataPrefix);
        using (var json = new Utf8JsonWriter(destination))
            JsonSerializer.Serialize(json, value, typeInfo);
        destination.Write(EventEnd);
    }

    public static void WriteDone(IBufferWriter<byte> destination) => destination.Write(Done.Span);

    /// <summary>Writes one event and flushes it, so the client sees it now.</summary>
    public static async ValueTask WriteAsync<T>(PipeWriter destination, T value, CancellationToken cancellationToken = default)
    {
        Write(destination, value, TypeInfo<T>());
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async ValueTask WriteDoneAsync(PipeWriter destination, CancellationToken cancellationToken = default)
    {
        WriteDone(destination);
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async ValueTask WriteAsync<T>(Stream destination, T value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var buffer = new PooledBufferWriter();
        Write(buffer, value, TypeInfo<T>());
        await destination.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async ValueTask WriteDoneAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await destination.WriteAsync(Done, cancellationToken).ConfigureAwait(false);
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static JsonTypeInfo<T> TypeInfo<T>() =>
        ContractsJsonContext.Default.GetTypeInfo(typeof(T)) as JsonTypeInfo<T>
        ?? throw new NotSupportedException($"{typeof(T)} is not in {nameof(ContractsJsonContext)}; pass its JsonTypeInfo.");
}
