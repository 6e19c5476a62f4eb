using System.Runtime.InteropServices;

namespace Tandem.Engine.Gguf;

/// <summary>What a GGUF model's <see cref="Weights.LlamaWeights"/> point into: the mapped file and the native buffers made at load (row-permuted Q and K matrices).</summary>
internal sealed unsafe class GgufWeightsOwner : IDisposable
{
    private readonly List<nint> _buffers = [];
    private bool _disposed;

    public GgufWeightsOwner(GgufFile file) => File = file;

    public GgufFile File { get; }

    /// <summary>Bytes held in buffers made at load.</summary>
    public long AllocatedBytes { get; private set; }

    public byte* Allocate(long bytes)
    {
        var pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 64);
        _buffers.Add((nint)pointer);
        AllocatedBytes += bytes;
        return pointer;
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
        File.Dispose();
    }
}
