using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Gguf;

/// <summary>
/// A memory-mapped GGUF file (versions 2 and 3). The header, metadata and tensor infos are parsed
/// and checked on open; tensor data is read in place through <see cref="Data"/>. The view pointer is
/// acquired once and released on <see cref="Dispose"/>.
/// <code>
/// "GGUF" u32 version, u64 tensor_count, u64 kv_count
/// kv_count × (string key, u32 value_type, value)            strings: u64 length + UTF-8 bytes
/// tensor_count × (string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset)
/// padding to general.alignment (default 32), then the tensor data; each offset is relative to it
/// </code>
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    public const uint Magic = 0x46554747; // "GGUF" little-endian
    public const int DefaultAlignment = 32;
    private const int MaxDimensions = 4;

    private readonly MappedFile _file;
    private readonly byte* _base;
    private bool _disposed;

    private GgufFile(string path, MappedFile file)
    {
        Path = path;
        _file = file;
        var basePointer = file.Base;
        var length = file.Length;
        _base = basePointer;
        Length = length;
        var reader = new GgufReader(basePointer, length, path);
        Version = ReadVersion(reader, path);
        var tensorCount = reader.Count("tensor count", 1L << 24);
        var kvCount = reader.Count("metadata count", 1L << 24);
        Metadata = ReadMetadata(reader, kvCount, path);
        var alignment = Metadata.GetInteger("general.alignment") ?? DefaultAlignment;
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0)
        {
            throw new ModelLoadException(path, [$"bad header: general.alignment {alignment} is not a power of two"]);
        }

        Alignment = (int)alignment;
        var infos = ReadTensorInfos(reader, tensorCount, path);
        DataStart = (reader.Position + Alignment - 1) / Alignment * Alignment;
        Tensors = Check(infos, path);
    }

    public string Path { get; }

    public long Length { get; }

    public uint Version { get; }

    public int Alignment { get; }

    /// <summary>File offset of the tensor data section.</summary>
    public long DataStart { get; }

    public GgufMetadata Metadata { get; }

    /// <summary>Tensor infos by name, in file order.</summary>
    public IReadOnlyDictionary<string, GgufTensorInfo> Tensors { get; }

    /// <exception cref="ModelLoadException">The file cannot be opened, is not GGUF v2/v3, is truncated, or holds a tensor type other than F32, F16, BF16, Q8_0, Q4_0; the message names the file.</exception>
    public static GgufFile Open(string path)
    {
        var file = MappedFile.Open(path, 24, "GGUF");
        try
        {
            return new GgufFile(path, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The first byte of the tensor's data, valid until this file is disposed.</summary>
    public byte* Data(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _base + DataStart + tensor.Offset;
    }

    public ReadOnlySpan<byte> Bytes(GgufTensorInfo tensor) => new(Data(tensor), checked((int)tensor.ByteCount));

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _file.Dispose();
    }

    private static uint ReadVersion(GgufReader reader, string path)
    {
        var magic = reader.U32("magic");
        if (magic != Magic)
        {
            throw new ModelLoadException(path, [$"not a GGUF file: magic 0x{magic:X8}, expected 0x{Magic:X8} (\"GGUF\")"]);
        }

        var version = reader.U32("version");
        if (version is not (2 or 3))
        {
            throw new ModelLoadException(path, [$"unsupported GGUF version {version} (only 2 and 3 are supported)"]);
        }

        return version;
    }

    private static GgufMetadata ReadMetadata(GgufReader reader, long count, string path)
    {
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var key = reader.String($"metadata key {i}");
            var type = (GgufValueType)reader.U32($"type of metadata '{key}'");
            if (!values.TryAdd(key, reader.Value(type, $"metadata '{key}'")))
            {
                throw new ModelLoadException(path, [$"bad header: metadata key '{key}' appears twice"]);
            }
        }

        return new GgufMetadata(values, path);
    }

    private static List<GgufTensorInfo> ReadTensorInfos(GgufReader reader, long count, string path)
    {
        var infos = new List<GgufTensorInfo>();
        for (var i = 0; i < count; i++)
        {
            var name = reader.String($"name of tensor {i}");
            var rank = reader.U32($"rank of tensor '{name}'");
            if (rank is 0 or > MaxDimensions)
            {
                throw new ModelLoadException(path, [$"bad header: tensor '{name}' has {rank} dimensions"]);
            }

            var dims = new long[rank];
            for (var d = 0; d < rank; d++)
            {
                dims[d] = reader.Count($"dimension {d} of tensor '{name}'", int.MaxValue);
            }

            var type = reader.U32($"type of tensor '{name}'");
            if (!GgufTensorTypeExtensions.IsKnown(type))
            {
                throw new ModelLoadException(path, [$"tensor '{name}' has unsupported ggml type {type}{KnownName(type)}; only F32, F16, BF16, Q8_0 and Q4_0 are supported"]);
            }

            var offset = reader.Count($"offset of tensor '{name}'", long.MaxValue);
            infos.Add(new GgufTensorInfo(name, dims, (GgufTensorType)type, offset));
        }

        return infos;
    }

    private Dictionary<string, GgufTensorInfo> Check(List<GgufTensorInfo> infos, string path)
    {
        var dataLength = Length - DataStart;
        var tensors = new Dictionary<string, GgufTensorInfo>(StringComparer.Ordinal);
        foreach (var t in infos)
        {
            if (t.Dimensions[0] % t.Type.BlockSize() != 0)
            {
                throw new ModelLoadException(path, [$"bad header: tensor '{t.Name}' {t.Type} has rows of {t.Dimensions[0]} elements, not a multiple of the block size {t.Type.BlockSize()}"]);
            }

            if (t.Offset % Alignment != 0)
            {
                throw new ModelLoadException(path, [$"bad header: tensor '{t.Name}' offset {t.Offset} is not aligned to {Alignment}"]);
            }

            if (t.Offset > dataLength || t.ByteCount > dataLength - t.Offset)
            {
                throw new ModelLoadException(path, [$"truncated: tensor '{t.Name}' ends at data byte {t.Offset + t.ByteCount}, the file holds {Math.Max(0, dataLength)} data bytes"]);
            }

            if (!tensors.TryAdd(t.Name, t))
            {
                throw new ModelLoadException(path, [$"bad header: tensor '{t.Name}' appears twice"]);
            }
        }

        return tensors;
    }

    private static string KnownName(uint type) => type switch
    {
        3 => " (Q4_1)",
        6 => " (Q5_0)",
        7 => " (Q5_1)",
        10 => " (Q2_K)",
        11 => " (Q3_K)",
        12 => " (Q4_K)",
        13 => " (Q5_K)",
        14 => " (Q6_K)",
        15 => " (Q8_K)",
        _ => string.Empty,
    };
}
