namespace Tandem.Engine.Gguf;

/// <summary>
/// GGUF (like Meta's original Llama checkpoints) keeps each head's Q and K rows in interleaved RoPE
/// order, rotating pairs (x0, x1), (x2, x3), ...; Hugging Face's rotate-half order, which the engine
/// uses, rotates (x_j, x_{j+d/2}). llama.cpp's converter maps HF to GGUF; this is its inverse.
/// </summary>
public static class GgufRopeOrder
{
    /// <summary>The GGUF row that holds rotate-half row <paramref name="row"/>: within a head of size d, row j &lt; d/2 comes from 2j and row d/2 + j from 2j + 1.</summary>
    public static int InterleavedRow(int row, int headDim)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfLessThan(headDim, 2);
        var head = row / headDim;
        var local = row % headDim;
        var half = headDim / 2;
        return (head * headDim) + (local < half ? 2 * local : (2 * (local - half)) + 1);
    }

    /// <summary>The inverse of <see cref="InterleavedRow"/>: the rotate-half row that GGUF row <paramref name="ggufRow"/> holds (local row 2j is j, 2j + 1 is d/2 + j).</summary>
    public static int RotateHalfRow(int ggufRow, int headDim)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ggufRow);
        ArgumentOutOfRangeException.ThrowIfLessThan(headDim, 2);
        var head = ggufRow / headDim;
        var local = ggufRow % headDim;
        return (head * headDim) + (local / 2) + (local % 2 == 0 ? 0 : headDim / 2);
    }
}
