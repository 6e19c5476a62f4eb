using System.Text;

namespace Tandem.Engine.Gguf;

/// <summary>
/// Writes a GGUF v3 file (the layout <see cref="GgufFile"/> reads): metadata and tensor infos are
/// collected first, then <see cref="Write"/> streams the header and each tensor's data in order,
/// every tensor starting on a multiple of <see cref="Alignment"/> bytes from the data section.
/// Tensor dimensions are given in ggml order (innermost first: a [rows, cols] matrix is [cols, rows]).
/// </summary>
public sealed class GgufWriter
{
    private readonly List<(string Key, GgufValueType Type, object Value)> _metadata = [];
    private readonly List<Entry> _tensors = [];

    /// <summary>Data alignment; 32 is GGUF's default and is then not written as <c>general.alignment</c>.</summary>
    public int Alignment { get; init; } = GgufFile.DefaultAlignment;

    public GgufWriter Add(string key, string value) => Put(key, GgufValueType.String, value);

    public GgufWriter Add(string key, uint value) => Put(key, GgufValueType.UInt32, value);

    public GgufWriter Add(string key, int value) => Put(key, GgufValueType.Int32, value);

    public GgufWriter Add(string key, float value) => Put(key, GgufValueType.Float32, value);

    public GgufWriter Add(string key, bool value) => Put(key, GgufValueType.Bool, value);

    public GgufWriter Add(string key, IReadOnlyList<string> values) => Put(key, GgufValueType.Array, (GgufValueType.String, (object)values));

    public GgufWriter Add(string key, IReadOnlyList<float> values) => Put(key, GgufValueType.Array, (GgufValueType.Float32, (object)values));

    public GgufWriter Add(string key, IReadOnlyList<int> values) => Put(key, GgufValueType.Array, (GgufValueType.Int32, (object)values));

    /// <summary>Adds a tensor whose <paramref name="write"/> callback writes exactly its byte count (from type and dims) to the stream.</summary>
    public GgufWriter AddTensor(string name, IReadOnlyList<long> dimensions, GgufTensorType type, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(write);
        if (_tensors.Any(t => t.Name == name))
        {
            throw new ArgumentException($"tensor '{name}' added twice", nameof(name));
        }

        var info = new GgufTensorInfo(name, [.. dimensions], type, 0);
        if (dimensions.Count is 0 or > 4 || dimensions[0] % type.BlockSize() != 0)
        {
            throw new ArgumentException($"tensor '{name}': dims {info.ShapeText} do not suit {type}", nameof(dimensions));
        }

        _tensors.Add(new Entry(name, info, write));
        return this;
    }

    /// <summary>Writes the file, returning its length in bytes.</summary>
    public long Write(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        var metadata = _metadata.ToList();
        if (Alignment != GgufFile.DefaultAlignment)
        {
            metadata.Add(("general.alignment", GgufValueType.UInt32, (uint)Alignment));
        }

        w.Write(GgufFile.Magic);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)metadata.Count);
        foreach (var (key, type, value) in metadata)
        {
            WriteString(w, key);
            w.Write((uint)type);
            WriteValue(w, type, value);
        }

        long offset = 0;
        foreach (var t in _tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Info.Dimensions.Count);
            foreach (var d in t.Info.Dimensions)
            {
                w.Write((ulong)d);
            }

            w.Write((uint)t.Info.Type);
            w.Write((ulong)offset);
            offset = Align(offset + t.Info.ByteCount);
        }

        w.Flush();
        Pad(stream);
        var dataStart = stream.Position;
        foreach (var t in _tensors)
        {
            var start = stream.Position;
            t.Write(stream);
            if (stream.Position - start != t.Info.ByteCount)
            {
                throw new InvalidOperationException($"tensor '{t.Name}': wrote {stream.Position - start} bytes, expected {t.Info.ByteCount}");
            }

            Pad(stream, dataStart);
        }

        return stream.Position;
    }

    private GgufWriter Put(string key, GgufValueType type, object value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (_metadata.Any(m => m.Key == key))
        {
            throw new ArgumentException($"metadata '{key}' added twice", nameof(key));
        }

        _metadata.Add((key, type, value));
        return this;
    }

    private long Align(long offset) => (offset + Alignment - 1) / Alignment * Alignment;

    private void Pad(Stream stream, long origin = 0)
    {
        var padding = Align(stream.Position - origin) - (stream.Position - origin);
        for (var i = 0; i < padding; i++)
        {
            stream.WriteByte(0);
        }
    }

    private static void WriteValue(BinaryWriter w, GgufValueType type, object value)
    {
        switch (type)
        {
            case GgufValueType.String: WriteString(w, (string)value); break;
            case GgufValueType.UInt32: w.Write((uint)value); break;
            case GgufValueType.Int32: w.Write((int)value); break;
            case GgufValueType.Float32: w.Write((float)value); break;
            case GgufValueType.Bool: w.Write((bool)value ? (byte)1 : (byte)0); break;
            case GgufValueType.Array:
                var (elementType, items) = ((GgufValueType, object))value;
                w.Write((uint)elementType);
                switch (items)
                {
                    case IReadOnlyList<string> strings:
                        w.Write((ulong)strings.Count);
                        foreach (var s in strings)
                        {
                            WriteString(w, s);
                        }

                        break;
                    case IReadOnlyList<float> floats:
                        w.Write((ulong)floats.Count);
                        foreach (var f in floats)
                        {
                            w.Write(f);
                        }

                        break;
                    case IReadOnlyList<int> ints:
                        w.Write((ulong)ints.Count);
                        foreach (var i in ints)
                        {
                            w.Write(i);
                        }

                        break;
                    default:
                        throw new InvalidOperationException($"unsupported array {items.GetType()}");
                }

                break;
            default:
                throw new InvalidOperationException($"unsupported metadata type {type}");
        }
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private sealed record Entry(string Name, GgufTensorInfo Info, Action<Stream> Write);
}
