using System.Text;

namespace Tandem.Engine.Tests.Gguf;

/// <summary>Writes small GGUF files by hand for reader tests.</summary>
internal sealed class GgufBytes
{
    private readonly List<byte> _kv = [];
    private readonly List<byte> _infos = [];
    private readonly List<byte> _data = [];
    private int _kvCount;
    private int _tensorCount;

    public uint Version { get; init; } = 3;

    public int Alignment { get; init; } = 32;

    public GgufBytes Kv(string key, uint type, Action<BinaryWriter> value)
    {
        _kv.AddRange(Write(w =>
        {
            Str(w, key);
            w.Write(type);
            value(w);
        }));
        _kvCount++;
        return this;
    }

    public GgufBytes Tensor(string name, long[] dims, uint type, byte[] data)
    {
        while (_data.Count % Alignment != 0)
        {
            _data.Add(0);
        }

        _infos.AddRange(Write(w =>
        {
            Str(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims)
            {
                w.Write((ulong)d);
            }

            w.Write(type);
            w.Write((ulong)_data.Count);
        }));
        _data.AddRange(data);
        _tensorCount++;
        return this;
    }

    public static void Str(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    public byte[] ToArray()
    {
        var head = Write(w =>
        {
            w.Write("GGUF"u8);
            w.Write(Version);
            w.Write((ulong)_tensorCount);
            w.Write((ulong)_kvCount);
            w.Write(_kv.ToArray());
            w.Write(_infos.ToArray());
        });
        var padded = (head.Length + Alignment - 1) / Alignment * Alignment;
        return [.. head, .. new byte[padded - head.Length], .. _data];
    }

    private static byte[] Write(Action<BinaryWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream))
        {
            write(w);
        }

        return stream.ToArray();
    }
}
