using Tandem.Engine.KvCache;

namespace Tandem.Transfer.Wire;

/// <summary>Every <see cref="KvCacheLayout"/> field, in declaration order.</summary>
internal static class LayoutCodec
{
    public static void Write(WireWriter writer, KvCacheLayout layout)
    {
        writer.WriteString(layout.ModelFingerprint);
        writer.WriteInt32(layout.Layers);
        writer.WriteInt32(layout.KvHeads);
        writer.WriteInt32(layout.HeadDim);
        writer.WriteInt32(layout.TokensPerBlock);
        writer.WriteString(layout.DType);
    }

    public static KvCacheLayout Read(ref WireReader reader)
    {
        var fingerprint = reader.ReadString("model fingerprint");
        var layers = Positive(reader.ReadInt32("layers"), "layers");
        var kvHeads = Positive(reader.ReadInt32("KV heads"), "KV heads");
        var headDim = Positive(reader.ReadInt32("head size"), "head size");
        var tokensPerBlock = Positive(reader.ReadInt32("tokens per block"), "tokens per block");
        var dtype = reader.ReadString("dtype");
        return new KvCacheLayout(fingerprint, layers, kvHeads, headDim, tokensPerBlock, dtype);
    }

    private static int Positive(int value, string field) =>
        value > 0 ? value : throw new WireFormatException($"{field} must be positive (got {value})");
}
