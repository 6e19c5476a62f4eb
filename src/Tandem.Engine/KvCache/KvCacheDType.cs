using System.Diagnostics.CodeAnalysis;

namespace Tandem.Engine.KvCache;

/// <summary>
/// What K and V are stored as in the paged cache (TensorRT-LLM's <c>kv_cache_config.dtype</c>). Attention always
/// computes in fp32: bfloat16 rows are widened exactly as they are read, so the arithmetic and its canonical order
/// are the same; only the stored values are rounded (to nearest, ties to even) when a step writes them.
/// </summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "float32 and bfloat16 are the dtypes' own names")]
public enum KvCacheDType
{
    /// <summary>fp32, 4 bytes an element: what the forward pass computes, kept exactly (the default).</summary>
    Float32,

    /// <summary>bfloat16, 2 bytes an element: half the memory, transfer bytes and attention reads per token.</summary>
    BFloat16,
}

/// <summary>The names of <see cref="KvCacheDType"/> in layouts, logs and settings.</summary>
public static class KvCacheDTypes
{
    public const string Float32Name = "float32";

    public const string BFloat16Name = "bfloat16";

    /// <summary>What settings accept, for error messages.</summary>
    public const string Accepted = "auto, float32 (fp32) or bfloat16 (bf16)";

    public static string Name(KvCacheDType dtype) => dtype == KvCacheDType.BFloat16 ? BFloat16Name : Float32Name;

    public static int Bytes(KvCacheDType dtype) => dtype == KvCacheDType.BFloat16 ? 2 : 4;

    /// <summary>
    /// A setting's value: <c>auto</c> (float32: Tandem computes in fp32 whatever the weights), <c>float32</c>/<c>fp32</c>,
    /// <c>bfloat16</c>/<c>bf16</c>, any case; null for anything else.
    /// </summary>
    public static KvCacheDType? Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "auto" or "float32" or "fp32" => KvCacheDType.Float32,
        "bfloat16" or "bf16" => KvCacheDType.BFloat16,
        _ => null,
    };
}
