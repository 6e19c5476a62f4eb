using System.Numerics.Tensors;

namespace Tandem.Engine.Sampling;

/// <summary>
/// Σ exp(x − max), vectorized through a stack chunk so that the input stays untouched and
/// nothing is allocated; chunk sums accumulate in double.
/// </summary>
internal static class ExpSum
{
    private const int Chunk = 512;

    public static double Of(ReadOnlySpan<float> logits, float max)
    {
        Span<float> buffer = stackalloc float[Chunk];
        var total = 0.0;
        for (var start = 0; start < logits.Length; start += Chunk)
        {
            var part = logits.Slice(start, Math.Min(Chunk, logits.Length - start));
            var tmp = buffer[..part.Length];
            TensorPrimitives.Subtract(part, max, tmp);
            TensorPrimitives.Exp(tmp, tmp);
            total += TensorPrimitives.Sum<float>(tmp);
        }

        return total;
    }

    public static double OfKeys(ReadOnlySpan<ulong> keys, float max)
    {
        Span<float> buffer = stackalloc float[Chunk];
        var total = 0.0;
        for (var start = 0; start < keys.Length; start += Chunk)
        {
            var part = keys.Slice(start, Math.Min(Chunk, keys.Length - start));
            var tmp = buffer[..part.Length];
            for (var i = 0; i < part.Length; i++)
            {
                tmp[i] = CandidateKey.Logit(part[i]) - max;
            }

            TensorPrimitives.Exp(tmp, tmp);
            total += TensorPrimitives.Sum<float>(tmp);
        }

        return total;
    }
}
