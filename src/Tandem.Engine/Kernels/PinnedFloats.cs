namespace Tandem.Engine.Kernels;

/// <summary>
/// A growable scratch array of floats on the pinned object heap, its start aligned to 64 bytes
/// (one cache line, one Vector512). Contents are not preserved when it grows.
/// </summary>
internal sealed unsafe class PinnedFloats
{
    private float[] _array = [];

    public float* Pointer { get; private set; }

    public long Capacity { get; private set; }

    public float* Ensure(long count)
    {
        if (count > Capacity)
        {
            var length = checked((int)(count + 16));
            _array = GC.AllocateUninitializedArray<float>(length, pinned: true);
            fixed (float* start = _array)
            {
                Pointer = (float*)(((nuint)start + 63) & ~(nuint)63);
            }

            Capacity = count;
        }

        return Pointer;
    }
}
