using System.Runtime.InteropServices;

namespace Tandem.Engine.Weights;

/// <summary>
/// Aligned native buffers made while loading weights (row-permuted or quantized matrices), owned
/// together with what the other matrices point into (<paramref name="source"/>: a mapped file, or
/// the weights they were made from). Disposing frees the buffers, then disposes the source.
/// </summary>
internal sealed unsafe class NativeBuffers(IDisposable source) : IDisposable
{
    private readonly List<nint> _buffers = [];
    private bool _disposed;
    private bool _sourceReleased;

    /// <summary>A buffer of <paramref name="bytes"/> bytes aligned to <paramref name="alignment"/> (a power of two), freed with this object.</summary>
    public byte* Allocate(long bytes, nuint alignment = 64)
    {
        var pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), alignment);
        _buffers.Add((nint)pointer);
        return pointer;
    }

    /// <summary>
    /// Disposes the source now, for when nothing points into it any more (a GGUF file whose matrices
    /// were all copied into buffers): its mapped pages then leave the process at once.
    /// </summary>
    public void ReleaseSource()
    {
        if (!_sourceReleased)
        {
            _sourceReleased = true;
            source.Dispose();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var buffer in _buffers)
        {
            NativeMemory.AlignedFree((void*)buffer);
        }

        _buffers.Clear();
        ReleaseSource();
    }
}
