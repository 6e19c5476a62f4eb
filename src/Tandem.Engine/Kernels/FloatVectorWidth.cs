using System.Runtime.Intrinsics;

namespace Tandem.Engine.Kernels;

/// <summary>
/// Which vectors run the row-major float products (<see cref="DotTiles"/>, <see cref="DotTiles256"/>,
/// <see cref="DotTiles.Scalar"/>). All three compute the same canonical order, bit for bit, so the
/// choice is speed only: the widest the CPU runs natively, unless a test asks for another.
/// </summary>
internal enum FloatVectorWidth
{
    /// <summary>The widest native one: 512 bits where accelerated, else 256 with AVX2 and FMA, else scalar.</summary>
    Auto,

    /// <summary>Vector512 tiles (on a CPU without AVX-512 .NET emulates them: correct, slow).</summary>
    Vector512,

    /// <summary>AVX2 + FMA tiles: a 16-lane accumulator is two 256-bit halves.</summary>
    Vector256,

    /// <summary>16 scalar lanes: the definition.</summary>
    Scalar,
}

internal static class FloatVectorWidths
{
    /// <summary>What <see cref="FloatVectorWidth.Auto"/> means on this CPU.</summary>
    public static FloatVectorWidth Native { get; } =
        Vector512.IsHardwareAccelerated ? FloatVectorWidth.Vector512
        : DotTiles256.IsSupported ? FloatVectorWidth.Vector256
        : FloatVectorWidth.Scalar;

    public static FloatVectorWidth Resolve(FloatVectorWidth width) => width == FloatVectorWidth.Auto ? Native : width;

    /// <summary>The native width in words, for load logs: "AVX-512", "AVX2" or "scalar code".</summary>
    public static string NativeName => Native switch
    {
        FloatVectorWidth.Vector512 => "AVX-512",
        FloatVectorWidth.Vector256 => "AVX2",
        _ => "scalar code",
    };
}
