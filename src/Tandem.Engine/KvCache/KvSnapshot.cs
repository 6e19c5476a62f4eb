namespace Tandem.Engine.KvCache;

/// <summary>
/// A request's KV cache copied out of an engine: the layout it was built with, how many token
/// positions are valid, and the bytes of its blocks in table order (each <see cref="KvCacheLayout.BlockBytes"/> long).
/// Importing it into an engine with an equal layout reproduces the cache exactly.
/// </summary>
public sealed class KvSnapshot
{
    public KvSnapshot(KvCacheLayout layout, int tokenCount, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(data);
        if (data.LongLength != layout.BlocksFor(tokenCount) * layout.BlockBytes)
        {
            throw new ArgumentException(
                $"KV snapshot holds {data.LongLength} bytes but {tokenCount} tokens need {layout.BlocksFor(tokenCount)} blocks of {layout.BlockBytes} bytes",
                nameof(data));
        }

        Layout = layout;
        TokenCount = tokenCount;
        Data = data;
    }

    public KvCacheLayout Layout { get; }

    public int TokenCount { get; }

    public byte[] Data { get; }

    /// <summary>
    /// KV that no forward pass computed (gen-only benchmark mode's zero cache): it is used as given, and block reuse never
    /// indexes it, so no other request can take it for real KV.
    /// </summary>
    public bool IsPlaceholder { get; init; }

    public int BlockCount => Layout.BlocksFor(TokenCount);
}
