using System.Buffers.Binary;
using System.Text;
using Tandem.Engine.Models;

namespace Tandem.Engine.Gguf;

/// <summary>A bounds-checked little-endian cursor over the mapped header; running off the end is a truncation error naming the file.</summary>
internal sealed unsafe class GgufReader
{
    private const long MaxStringBytes = 1L << 30;
    private const long MaxArrayElements = 1L << 31;

    private readonly byte* _base;
    private readonly long _length;
    private readonly string _path;

    public GgufReader(byte* basePointer, long length, string path)
    {
        _base = basePointer;
        _length = length;
        _path = path;
    }

    public long Position { get; private set; }

    public ReadOnlySpan<byte> Take(long count, string what)
    {
        if (count < 0 || count > _length - Position)
        {
            throw new ModelLoadException(_path, [$"truncated: reading {what} at byte {Position} needs {count} bytes, the file has {_length}"]);
        }

        var span = new ReadOnlySpan<byte>(_base + Position, checked((int)count));
        Position += count;
        return span;
    }

    public byte U8(string what) => Take(1, what)[0];

    public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));

    public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));

    /// <summary>A u64 count that must fit the given bound.</summary>
    public long Count(string what, long max)
    {
        var value = U64(what);
        if (value > (ulong)max)
        {
            throw new ModelLoadException(_path, [$"bad header: {what} is {value}, implausibly large"]);
        }

        return (long)value;
    }

    public string String(string what)
    {
        var length = Count($"length of {what}", MaxStringBytes);
        return Encoding.UTF8.GetString(Take(length, what));
    }

    public object Value(GgufValueType type, string what) => type switch
    {
        GgufValueType.UInt8 => U8(what),
        GgufValueType.Int8 => (sbyte)U8(what),
        GgufValueType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what)),
        GgufValueType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(Take(2, what)),
        GgufValueType.UInt32 => U32(what),
        GgufValueType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(Take(4, what)),
        GgufValueType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what)),
        GgufValueType.Bool => U8(what) != 0,
        GgufValueType.String => String(what),
        GgufValueType.Array => Array(what),
        GgufValueType.UInt64 => U64(what),
        GgufValueType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(Take(8, what)),
        GgufValueType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what)),
        _ => throw new ModelLoadException(_path, [$"bad header: {what} has unknown value type {(uint)type}"]),
    };

    /// <summary>An array value as a typed .NET array (string[], float[], int[], ...; object[] for arrays of arrays).</summary>
    private System.Array Array(string what)
    {
        var elementType = (GgufValueType)U32($"element type of {what}");
        var count = (int)Count($"element count of {what}", MaxArrayElements - 1);
        var result = elementType switch
        {
            GgufValueType.UInt8 => new byte[count],
            GgufValueType.Int8 => new sbyte[count],
            GgufValueType.UInt16 => new ushort[count],
            GgufValueType.Int16 => new short[count],
            GgufValueType.UInt32 => new uint[count],
            GgufValueType.Int32 => new int[count],
            GgufValueType.Float32 => new float[count],
            GgufValueType.Bool => new bool[count],
            GgufValueType.String => new string[count],
            GgufValueType.UInt64 => new ulong[count],
            GgufValueType.Int64 => new long[count],
            GgufValueType.Float64 => new double[count],
            GgufValueType.Array => (System.Array)new object[count],
            _ => throw new ModelLoadException(_path, [$"bad header: {what} is an array of unknown value type {(uint)elementType}"]),
        };

        for (var i = 0; i < count; i++)
        {
            result.SetValue(Value(elementType, what), i);
        }

        return result;
    }
}
