using System.Buffers.Binary;
using System.Text.Json;

namespace Tandem.Engine.Weights;

/// <summary>The name, dtype and shape of one tensor to write.</summary>
public sealed record SafetensorsTensorLayout(string Name, DType DType, IReadOnlyList<long> Shape)
{
    public long ByteCount => Shape.Aggregate(1L, (n, d) => n * d) * DType.ByteSize();
}

/// <summary>
/// Writes a safetensors file in one pass with bounded memory: the header is written from the
/// layouts up front, then the tensors' bytes are streamed in layout order through <see cref="Write"/>.
/// A writer disposed before <see cref="Complete"/> deletes its partial file.
/// </summary>
public sealed class SafetensorsWriter : IDisposable
{
    private readonly FileStream _stream;
    private readonly long _dataBytes;
    private long _written;
    private bool _completed;

    public SafetensorsWriter(string path, IReadOnlyList<SafetensorsTensorLayout> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Path = path;
        var header = BuildHeader(tensors, metadata, out _dataBytes);
        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        try
        {
            _stream.SetLength(8 + header.Length + _dataBytes);
            Span<byte> size = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)header.Length);
            _stream.Write(size);
            _stream.Write(header);
        }
        catch
        {
            _stream.Dispose();
            File.Delete(path);
            throw;
        }
    }

    public string Path { get; }

    public void Write(ReadOnlySpan<byte> data)
    {
        if (_written + data.Length > _dataBytes)
        {
            throw new InvalidOperationException($"{Path}: writing {data.Length} bytes would pass the {_dataBytes} data bytes the header declares");
        }

        _stream.Write(data);
        _written += data.Length;
    }

    public void Complete()
    {
        if (_written != _dataBytes)
        {
            throw new InvalidOperationException($"{Path}: {_written} of {_dataBytes} data bytes written");
        }

        _stream.Flush();
        _completed = true;
    }

    public void Dispose()
    {
        _stream.Dispose();
        if (!_completed)
        {
            File.Delete(Path);
        }
    }

    private static byte[] BuildHeader(IReadOnlyList<SafetensorsTensorLayout> tensors, IReadOnlyDictionary<string, string>? metadata, out long dataBytes)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var t in tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", SafetensorsTensor.DTypeNameOf(t.DType));
                json.WriteStartArray("shape");
                foreach (var d in t.Shape)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += t.ByteCount;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
            dataBytes = offset;
        }

        // Pad with spaces so the data section starts 8-byte aligned, as the safetensors library does.
        var length = (int)buffer.Length;
        var padded = (length + 7) & ~7;
        var header = new byte[padded];
        buffer.GetBuffer().AsSpan(0, length).CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }
}
