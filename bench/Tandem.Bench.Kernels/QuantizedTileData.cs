using System.Runtime.InteropServices;
using Tandem.Engine.Kernels;

/// <summary>
/// One Q8_0 / Q4_0 row group and four tokens' activation blocks, small enough to stay in cache, for the tile benches:
/// bytes 0x11 everywhere (normal fp16 scales), activations 1 with a normal scale (products of tiny scales would be
/// subnormal and slow).
/// </summary>
internal sealed unsafe class QuantizedTileData : IDisposable
{
    public QuantizedTileData(bool q4, int blocks)
    {
        Blocks = blocks;
        GroupBytes = blocks * (QuantizedRowGroups.ScaleBytes + (q4 ? 256 : 512));
        AStride = (blocks * ActivationBlocks.BlockBytes) + 64;
        Group = (byte*)NativeMemory.AlignedAlloc((nuint)GroupBytes, 64);
        A = (byte*)NativeMemory.AlignedAlloc((nuint)(4 * AStride), 64);
        Y = (float*)NativeMemory.AlignedAlloc(4 * 16 * sizeof(float), 64);
        new Span<byte>(Group, GroupBytes).Fill(0x11);
        new Span<byte>(A, 4 * AStride).Fill(0x01);
        for (var t = 0; t < 4; t++)
        {
            for (var b = 0; b < blocks; b++)
            {
                *(float*)(A + (t * AStride) + (b * ActivationBlocks.BlockBytes) + ActivationBlocks.ScaleOffset) = 0.01f;
            }
        }
    }

    public int Blocks { get; }

    public int GroupBytes { get; }

    public int AStride { get; }

    public byte* Group { get; }

    public byte* A { get; }

    public float* Y { get; }

    public void Dispose()
    {
        NativeMemory.AlignedFree(Group);
        NativeMemory.AlignedFree(A);
        NativeMemory.AlignedFree(Y);
    }
}
