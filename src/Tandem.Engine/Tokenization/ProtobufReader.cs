namespace Tandem.Engine.Tokenization;

/// <summary>
/// Reads the protobuf wire format field by field: just enough to walk a SentencePiece
/// <c>ModelProto</c> without a generated schema.
/// </summary>
internal ref struct ProtobufReader(ReadOnlySpan<byte> data)
{
    public const int WireVarint = 0;
    public const int WireFixed64 = 1;
    public const int WireLengthDelimited = 2;
    public const int WireFixed32 = 5;

    private readonly ReadOnlySpan<byte> data = data;
    private int position;

    public readonly bool AtEnd => position >= data.Length;

    public (int Field, int WireType) ReadTag()
    {
        var tag = ReadVarint();
        return ((int)(tag >> 3), (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
            {
                throw new FormatException("truncated varint");
            }

            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new FormatException("varint longer than 10 bytes");
    }

    public float ReadFloat() => BitConverter.Int32BitsToSingle((int)ReadFixed(4));

    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadVarint();
        if (length > (ulong)(data.Length - position))
        {
            throw new FormatException($"field of {length} bytes runs past the end of its message");
        }

        var slice = data.Slice(position, (int)length);
        position += (int)length;
        return slice;
    }

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case WireVarint:
                ReadVarint();
                break;
            case WireFixed64:
                ReadFixed(8);
                break;
            case WireLengthDelimited:
                ReadBytes();
                break;
            case WireFixed32:
                ReadFixed(4);
                break;
            default:
                throw new FormatException($"unsupported wire type {wireType}");
        }
    }

    private ulong ReadFixed(int size)
    {
        if (position + size > data.Length)
        {
            throw new FormatException("truncated fixed-size field");
        }

        ulong value = 0;
        for (var i = size - 1; i >= 0; i--)
        {
            value = (value << 8) | data[position + i];
        }

        position += size;
        return value;
    }
}
