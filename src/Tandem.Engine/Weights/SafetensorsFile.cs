using System.Buffers.Binary;
using System.Text.Json;
using Tandem.Engine.Models;

namespace Tandem.Engine.Weights;

/// <summary>
/// A memory-mapped safetensors file. The header is parsed and checked on open (offsets contiguous
/// within the file, sizes matching shapes); tensor data is read in place through <see cref="Data"/>.
/// The view pointer is acquired once and released on <see cref="Dispose"/>.
/// <code>
/// [u64 little-endian N][N bytes JSON header, space padded][data: tensors at data_offsets]
/// </code>
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    private readonly MappedFile _file;
    private readonly byte* _base;
    private readonly long _dataStart;
    private bool _disposed;

    private SafetensorsFile(string path, MappedFile file)
    {
        Path = path;
        _file = file;
        var basePointer = file.Base;
        var length = file.Length;
        _base = basePointer;
        Length = length;
        (Tensors, _dataStart) = ParseHeader(path, new ReadOnlySpan<byte>(basePointer, (int)Math.Min(length, 8 + MaxHeaderBytes)), length);
    }

    public string Path { get; }

    public long Length { get; }

    public IReadOnlyDictionary<string, SafetensorsTensor> Tensors { get; }

    public static SafetensorsFile Open(string path)
    {
        var file = MappedFile.Open(path, 8, "safetensors");
        try
        {
            return new SafetensorsFile(path, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The first byte of the tensor's data, valid until this file is disposed.</summary>
    public byte* Data(SafetensorsTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _base + _dataStart + tensor.Begin;
    }

    public ReadOnlySpan<byte> Bytes(SafetensorsTensor tensor) => new(Data(tensor), checked((int)(tensor.End - tensor.Begin)));

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _file.Dispose();
    }

    private static (Dictionary<string, SafetensorsTensor> Tensors, long DataStart) ParseHeader(string path, ReadOnlySpan<byte> file, long length)
    {
        var headerSize = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerSize > MaxHeaderBytes)
        {
            throw Bad(path, $"bad header: declared header size {headerSize} bytes is implausible");
        }

        if (8 + (long)headerSize > length)
        {
            throw Bad(path, $"truncated: header needs {8 + (long)headerSize} bytes, file has {length}");
        }

        var dataStart = 8 + (long)headerSize;
        var dataLength = length - dataStart;
        var tensors = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(file.Slice(8, (int)headerSize).ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Bad(path, "bad header: not a JSON object");
            }

            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    continue;
                }

                var tensor = ParseEntry(path, entry);
                if (tensor.End > dataLength)
                {
                    throw Bad(path, $"truncated: tensor '{tensor.Name}' ends at data byte {tensor.End}, the file holds {dataLength} data bytes");
                }

                tensors.Add(tensor.Name, tensor);
            }
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(path, [$"bad header: not valid JSON ({e.Message})"], e);
        }

        return (tensors, dataStart);
    }

    private static SafetensorsTensor ParseEntry(string path, JsonProperty entry)
    {
        var e = entry.Value;
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !e.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array
            || offsets.GetArrayLength() != 2)
        {
            throw Bad(path, $"bad header: tensor '{entry.Name}' needs dtype, shape and data_offsets [begin, end]");
        }

        var dims = new List<long>();
        foreach (var d in shape.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0)
            {
                throw Bad(path, $"bad header: tensor '{entry.Name}' has a bad shape {shape.GetRawText()}");
            }

            dims.Add(dim);
        }

        if (!offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end) || begin < 0 || end < begin)
        {
            throw Bad(path, $"bad header: tensor '{entry.Name}' has bad data_offsets {offsets.GetRawText()}");
        }

        var tensor = new SafetensorsTensor(entry.Name, dtype.GetString()!, dims, begin, end);
        if (SafetensorsTensor.ElementSize(tensor.DTypeName) is { } size && tensor.ElementCount * size != end - begin)
        {
            throw Bad(path, $"bad header: tensor '{entry.Name}' {tensor.DTypeName} {tensor.ShapeText} needs {tensor.ElementCount * size} bytes, data_offsets span {end - begin}");
        }

        return tensor;
    }

    private static ModelLoadException Bad(string path, string problem) => new(path, [problem]);
}
