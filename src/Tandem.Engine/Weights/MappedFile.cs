using System.IO.MemoryMappedFiles;
using Tandem.Engine.Models;

namespace Tandem.Engine.Weights;

/// <summary>
/// A whole file mapped read-only, its view pointer acquired once and released on <see cref="Dispose"/>.
/// The checkpoint readers (safetensors, GGUF) parse and read tensors in place through <see cref="Base"/>.
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private bool _disposed;

    private MappedFile(MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer, long length)
    {
        _map = map;
        _view = view;
        Base = basePointer;
        Length = length;
    }

    public byte* Base { get; }

    public long Length { get; }

    /// <summary>Maps <paramref name="path"/>; a file shorter than <paramref name="minimumLength"/> is refused as a truncated <paramref name="format"/> file.</summary>
    public static MappedFile Open(string path, long minimumLength, string format)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException(path, [$"cannot open: {e.Message}"], e);
        }

        var length = stream.Length;
        if (length < minimumLength)
        {
            stream.Dispose();
            throw new ModelLoadException(path, [$"truncated: {length} bytes, too short for a {format} header"]);
        }

        var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        MemoryMappedViewAccessor? view = null;
        var acquired = false;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            return new MappedFile(map, view, pointer + view.PointerOffset, length);
        }
        catch
        {
            if (acquired)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }

            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
