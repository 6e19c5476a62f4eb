using System.Runtime.InteropServices;
using Tandem.Engine.Weights;

namespace Tandem.Engine.KvCache;

/// <summary>
/// The paged KV cache: one native allocation of <see cref="BlockPool.Total"/> blocks, addressed
/// through per-request block tables.
///
/// <code>
///  storage (block-major; one block = TokensPerBlock tokens of every layer)
///  ┌──────────────── block 0 ────────────────┬──────── block 1 ────────┬ ...
///  │ L0.K[T][kvH][D] L0.V[T][kvH][D] L1.K ... │ L0.K L0.V L1.K ...      │
///  └──────────────────────────────────────────┴─────────────────────────┴ ...
///
///  request's block table [7, 2, 9]: token position p lives in block table[p / T], slot p % T
/// </code>
///
/// A block is contiguous for all layers, so exporting a request is a copy of whole blocks.
/// Only the engine thread reads or writes the storage of blocks owned by running requests;
/// blocks of a finished context-only request are read-only until released.
/// </summary>
public sealed unsafe class PagedKvCache : IDisposable
{
    private const nuint HugePage = 2 << 20;

    private float* _storage;

    public PagedKvCache(KvCacheLayout layout, int blockCount)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        Layout = layout;
        Pool = new BlockPool(blockCount);
        var bytes = (nuint)(layout.BlockBytes * blockCount);

        // On 2 MiB pages where the system allows: pages are committed on first write, and a step
        // writing K and V for many new tokens otherwise took a 4 KiB page fault every 4 tokens per layer.
        _storage = (float*)NativeMemory.AlignedAlloc(bytes, HugePage);
        PageRelease.PreferHugePages((byte*)_storage, (long)bytes);
    }

    public KvCacheLayout Layout { get; }

    public BlockPool Pool { get; }

    public long CapacityTokens => (long)Pool.Total * Layout.TokensPerBlock;

    /// <summary>Start of K (<paramref name="value"/> false) or V for one token slot of one layer.</summary>
    public float* Slot(int block, int layer, int slot, bool value)
    {
        var l = Layout;
        return _storage + (block * l.BlockFloats) + ((long)layer * 2 * l.LayerHalfStride)
            + (value ? l.LayerHalfStride : 0) + ((long)slot * l.TokenStride);
    }

    /// <summary>The K (or V) floats of position <paramref name="position"/> in a request's table, all KV heads.</summary>
    public Span<float> At(IReadOnlyList<int> blockTable, int layer, int position, bool value)
    {
        var t = Layout.TokensPerBlock;
        return new Span<float>(Slot(blockTable[position / t], layer, position % t, value), Layout.TokenStride);
    }

    public Span<byte> BlockBytes(int block) =>
        new((byte*)(_storage + (block * Layout.BlockFloats)), checked((int)Layout.BlockBytes));

    public void Dispose()
    {
        if (_storage != null)
        {
            NativeMemory.AlignedFree(_storage);
            _storage = null;
        }
    }
}
