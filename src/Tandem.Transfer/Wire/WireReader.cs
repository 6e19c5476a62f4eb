using System.Buffers.Binary;
using System.Text;

namespace Tandem.Transfer.Wire;

/// <summary>Reads what <see cref="WireWriter"/> wrote; a short input throws <see cref="WireFormatException"/> naming the field.</summary>
internal ref struct WireReader(ReadOnlySpan<byte> data)
{
    private ReadOnlySpan<byte> _rest = data;

    public readonly int Remaining => _rest.Length;

    public byte ReadByte(string field) => Take(1, field)[0];

    public ushort ReadUInt16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));

    public int ReadInt32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, field));

    public long ReadInt64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, field));

    public ReadOnlySpan<byte> ReadBytes(int count, string field) => Take(count, field);

    public string ReadString(string field)
    {
        var length = ReadUInt16(field);
        var bytes = Take(length, field);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new WireFormatException($"{field} is not valid UTF-8");
        }
    }

    public readonly void ExpectEnd(string what)
    {
        if (_rest.Length != 0)
        {
            throw new WireFormatException($"{_rest.Length} unexpected bytes after the {what}");
        }
    }

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        if (_rest.Length < count)
        {
            throw new WireFormatException($"truncated: {field} needs {count} bytes, {_rest.Length} left");
        }

        var taken = _rest[..count];
        _rest = _rest[count..];
        return taken;
    }
}
