using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tandem.Engine.Modeling;

/// <summary>
/// How the attention tiles read a cached K or V row (<see cref="KvCache.PagedKvCache"/>): as fp32, whatever it is
/// stored as. Widening bfloat16 is exact, so the tiles' arithmetic is the same for either.
/// </summary>
internal unsafe interface IKvRows
{
    /// <summary>Elements [element, element + 16) of a row.</summary>
    static abstract Vector512<float> Load512(byte* row, int element);

    /// <summary>Elements [element, element + 8) of a row.</summary>
    static abstract Vector256<float> Load256(byte* row, int element);

    /// <summary>One element of a row.</summary>
    static abstract float Get(byte* row, int element);
}

/// <summary>Rows of fp32.</summary>
internal readonly unsafe struct Float32Rows : IKvRows
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(byte* row, int element) => Vector512.Load((float*)row + element);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(byte* row, int element) => Vector256.Load((float*)row + element);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Get(byte* row, int element) => ((float*)row)[element];
}

/// <summary>Rows of bfloat16: each element's bits moved to the top half of an fp32.</summary>
internal readonly unsafe struct BFloat16Rows : IKvRows
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(byte* row, int element)
    {
        var bits = Vector256.Load((ushort*)row + element);
        if (Avx512F.IsSupported)
        {
            return (Avx512F.ConvertToVector512UInt32(bits) << 16).AsSingle();
        }

        var (low, high) = Vector256.Widen(bits);
        return (Vector512.Create(low, high) << 16).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(byte* row, int element)
    {
        if (Avx2.IsSupported)
        {
            return (Avx2.ConvertToVector256Int32((ushort*)row + element) << 16).AsSingle();
        }

        return (Vector256.WidenLower(Vector128.Load((ushort*)row + element).ToVector256Unsafe()) << 16).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Get(byte* row, int element) => BitConverter.UInt32BitsToSingle((uint)((ushort*)row)[element] << 16);
}
