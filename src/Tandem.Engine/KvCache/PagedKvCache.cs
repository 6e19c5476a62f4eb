using System.Runtime.InteropServices;
using Tandem.Engine.Kernels;
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
///  each element is the layout's dtype: fp32, or bfloat16 (the upper half of an fp32, rounded on write)
/// </code>
///
/// A block is contiguous for all layers, so exporting a request is a copy of whole blocks.
/// Only the engine thread reads or writes the storage of blocks owned by running requests;
/// blocks of a finished context-only request are read-only until released.
/// </summary>
public sealed unsafe class PagedKvCache : IDisposable
{
    private const nuint HugePage = 2 << 20;

    private byte* _storage;

    public PagedKvCache(KvCacheLayout layout, int blockCount)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        Layout = layout;
        Pool = new BlockPool(blockCount);
        var bytes = (nuint)(layout.BlockBytes * blockCount);

        // On 2 MiB pages where the system allows: pages are committed on first write, and a step
        // writing K and V for many new tokens otherwise took a 4 KiB page fault every 4 tokens per layer.
        _storage = (byte*)NativeMemory.AlignedAlloc(bytes, HugePage);
        PageRelease.PreferHugePages(_storage, (long)bytes);
        IsBFloat16 = layout.ElementType == KvCacheDType.BFloat16;
    }

    public KvCacheLayout Layout { get; }

    public BlockPool Pool { get; }

    public long CapacityTokens => (long)Pool.Total * Layout.TokensPerBlock;

    /// <summary>True when elements are bfloat16 (2 bytes), false when fp32.</summary>
    public bool IsBFloat16 { get; }

    /// <summary>Start of K (<paramref name="value"/> false) or V for one token slot of one layer: elements of the layout's dtype.</summary>
    public byte* Slot(int block, int layer, int slot, bool value)
    {
        var l = Layout;
        var element = (block * l.BlockElements) + ((long)layer * 2 * l.LayerHalfStride) + (value ? l.LayerHalfStride : 0) + ((long)slot * l.TokenStride);
        return _storage + (element * l.ElementBytes);
    }

    /// <summary>Stores the K (or V) of position <paramref name="position"/> in a request's table, all KV heads (bfloat16: rounded to nearest even).</summary>
    public void Write(IReadOnlyList<int> blockTable, int layer, int position, bool value, ReadOnlySpan<float> source)
    {
        ArgumentNullException.ThrowIfNull(blockTable);
        var stride = Layout.TokenStride;
        ArgumentOutOfRangeException.ThrowIfNotEqual(source.Length, stride);
        var t = Layout.TokensPerBlock;
        var slot = Slot(blockTable[position / t], layer, position % t, value);
        if (IsBFloat16)
        {
            BFloat16.FromSingle(source, new Span<ushort>(slot, stride));
        }
        else
        {
            source.CopyTo(new Span<float>(slot, stride));
        }
    }

    /// <summary>The K (or V) of position <paramref name="position"/> as fp32 (bfloat16 widened exactly).</summary>
    public void Read(IReadOnlyList<int> blockTable, int layer, int position, bool value, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(blockTable);
        var stride = Layout.TokenStride;
        var t = Layout.TokensPerBlock;
        var slot = Slot(blockTable[position / t], layer, position % t, value);
        if (IsBFloat16)
        {
            BFloat16.ToSingle(new ReadOnlySpan<ushort>(slot, stride), destination);
        }
        else
        {
            new ReadOnlySpan<float>(slot, stride).CopyTo(destination);
        }
    }

    public Span<byte> BlockBytes(int block) =>
        new(_storage + (block * Layout.BlockBytes), checked((int)Layout.BlockBytes));

    public void Dispose()
    {
        if (_storage != null)
        {
            NativeMemory.AlignedFree(_storage);
            _storage = null;
        }
    }
}
