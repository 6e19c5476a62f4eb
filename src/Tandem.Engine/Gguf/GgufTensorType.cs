using System.Diagnostics.CodeAnalysis;

namespace Tandem.Engine.Gguf;

/// <summary>The ggml tensor types this reader accepts (values and names as in <c>ggml_type</c>).</summary>
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "ggml's own type names (Q8_0, Q4_0)")]
public enum GgufTensorType : uint
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q8_0 = 8,
    BF16 = 30,
}

public static class GgufTensorTypeExtensions
{
    /// <summary>Elements per block: 1 for plain types, 32 for Q8_0 and Q4_0.</summary>
    public static int BlockSize(this GgufTensorType type) => type switch
    {
        GgufTensorType.Q8_0 or GgufTensorType.Q4_0 => 32,
        _ => 1,
    };

    /// <summary>Bytes per block: a Q8_0 block is an f16 scale and 32 int8; a Q4_0 block an f16 scale and 16 bytes of nibbles.</summary>
    public static int BlockBytes(this GgufTensorType type) => type switch
    {
        GgufTensorType.F32 => 4,
        GgufTensorType.F16 or GgufTensorType.BF16 => 2,
        GgufTensorType.Q8_0 => 34,
        GgufTensorType.Q4_0 => 18,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool IsKnown(uint type) => Enum.IsDefined((GgufTensorType)type);
}
