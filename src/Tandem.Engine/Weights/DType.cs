using System.Diagnostics.CodeAnalysis;

namespace Tandem.Engine.Weights;

/// <summary>Element types a weight tensor may be stored in.</summary>
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "ggml's own block type names (Q8_0, Q4_0)")]
public enum DType
{
    F32,
    F16,
    BF16,

    /// <summary>GGUF Q8_0: blocks of 32 elements, each an fp16 scale d then 32 int8 q (34 bytes); element = q · d.</summary>
    Q8_0,

    /// <summary>GGUF Q4_0: blocks of 32 elements, each an fp16 scale d then 16 bytes; element i &lt; 16 = ((byte[i] &amp; 15) − 8) · d, element i + 16 = ((byte[i] &gt;&gt; 4) − 8) · d.</summary>
    Q4_0,
}

public static class DTypeExtensions
{
    /// <summary>Bytes of one element of a plain (unblocked) type; block types have no per-element size (see <see cref="RowBytes"/>).</summary>
    public static int ByteSize(this DType dtype) => dtype switch
    {
        DType.F32 => 4,
        DType.F16 => 2,
        DType.BF16 => 2,
        DType.Q8_0 or DType.Q4_0 => throw new ArgumentException($"{dtype} is stored in blocks of 32 elements; use RowBytes", nameof(dtype)),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Elements per block: 1 for plain types, 32 for Q8_0 and Q4_0.</summary>
    public static int BlockSize(this DType dtype) => dtype.IsQuantized() ? 32 : 1;

    /// <summary>Bytes per block (per element for plain types).</summary>
    public static int BlockBytes(this DType dtype) => dtype switch
    {
        DType.Q8_0 => 34,
        DType.Q4_0 => 18,
        _ => dtype.ByteSize(),
    };

    public static bool IsQuantized(this DType dtype) => dtype is DType.Q8_0 or DType.Q4_0;

    /// <summary>Bytes of a row of <paramref name="cols"/> elements; block types need a multiple of the block size.</summary>
    public static long RowBytes(this DType dtype, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        var block = dtype.BlockSize();
        if (cols % block != 0)
        {
            throw new ArgumentException($"a {dtype} row needs a multiple of {block} elements, not {cols}", nameof(cols));
        }

        return (long)cols / block * dtype.BlockBytes();
    }

    /// <summary>The spelling used by safetensors headers and by <c>torch_dtype</c> in config.json (block types: ggml's lower-case name).</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.F32 => "float32",
        DType.F16 => "float16",
        DType.BF16 => "bfloat16",
        DType.Q8_0 => "q8_0",
        DType.Q4_0 => "q4_0",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };
}
