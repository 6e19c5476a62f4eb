namespace Tandem.Engine.KvCache;

/// <summary>
/// The chained hash of a full KV block that KV-cache events carry and a KV-aware router recomputes from a prompt: the
/// hash of block i depends on its tokens and on the hash of block i − 1 (0 before the first block). It is TensorRT-LLM's
/// <c>BlockKeyHasher</c> for plain token blocks (no extra ids, LoRA, cache salt or multimodal keys), so TensorRT-LLM's
/// <c>kv_cache_aware</c> router and Tandem's agree on every block:
/// <code>
///   seed = count ^ (parent · 0xbf58476d1ce4e5b9)                       (64-bit, wrapping)
///   for each token t:  a = (uint)t
///                      a = ((a &gt;&gt; 16) ^ a) · 0x45d9f3b;  a = ((a &gt;&gt; 16) ^ a) · 0x45d9f3b;  a = (a &gt;&gt; 16) ^ a   (32-bit)
///                      seed ^= (uint)(a + 0x9e3779b9) + (seed &lt;&lt; 6) + (seed &gt;&gt; 2)   (the first sum wraps at 32 bits)
/// </code>
/// </summary>
public static class BlockHasher
{
    /// <summary>The hash of a block holding <paramref name="tokens"/> whose previous block hashed to <paramref name="parent"/>.</summary>
    public static ulong Hash(ReadOnlySpan<int> tokens, ulong parent)
    {
        var seed = (ulong)tokens.Length ^ unchecked(parent * 0xbf58476d1ce4e5b9UL);
        foreach (var token in tokens)
        {
            var a = (uint)token;
            a = unchecked(((a >> 16) ^ a) * 0x45d9f3bU);
            a = unchecked(((a >> 16) ^ a) * 0x45d9f3bU);
            a = (a >> 16) ^ a;
            seed ^= unchecked((ulong)(a + 0x9e3779b9U) + (seed << 6) + (seed >> 2));
        }

        return seed;
    }

    /// <summary>The hashes of the full blocks of <paramref name="tokens"/>, each chained to the one before.</summary>
    public static ulong[] Chain(ReadOnlySpan<int> tokens, int tokensPerBlock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerBlock, 1);
        var hashes = new ulong[tokens.Length / tokensPerBlock];
        var parent = 0UL;
        for (var i = 0; i < hashes.Length; i++)
        {
            parent = hashes[i] = Hash(tokens.Slice(i * tokensPerBlock, tokensPerBlock), parent);
        }

        return hashes;
    }
}
