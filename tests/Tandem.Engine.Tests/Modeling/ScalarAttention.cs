using System.Numerics.Tensors;
using Tandem.Engine.KvCache;

namespace Tandem.Engine.Tests.Modeling;

/// <summary>
/// The definition of the attention kernel's arithmetic, one float at a time. For a query head over
/// positions 0..n-1 of its KV head (K and V as the cache gives them back in fp32: a bfloat16 cache's widened):
/// <list type="number">
/// <item>score_j: 16 lanes from zero, lane l taking fma(q[16c+l], k_j[16c+l], acc_l) for c = 0, 1, ...
/// over the head zero-padded to a multiple of 16; then <see cref="Sum16"/>; then × 1/√D.</item>
/// <item>e_j = exp(score_j − max), exp being <see cref="TensorPrimitives.Exp(ReadOnlySpan{float}, Span{float})"/> over the n scores.</item>
/// <item>sum: 16 lanes, lane l adding e_j for j ≡ l (mod 16) in order of j; then <see cref="Sum16"/>.</item>
/// <item>out[d] = (fma chain of e_j · V_j[d] over j = 0..n-1 from zero) / sum.</item>
/// </list>
/// </summary>
internal static class ScalarAttention
{
    public static float[] Compute(PagedKvCache cache, IReadOnlyList<int> table, int layer, ReadOnlySpan<float> q, int kvHead, int n)
    {
        var d = q.Length;
        var scale = 1f / MathF.Sqrt(d);
        var padded = (d + 15) / 16 * 16;
        var scores = new float[n];
        var lanes = new float[16];
        var row = new float[cache.Layout.TokenStride];
        for (var j = 0; j < n; j++)
        {
            cache.Read(table, layer, j, value: false, row);
            var key = row.AsSpan(kvHead * d, d);
            Array.Clear(lanes);
            for (var c = 0; c < padded; c += 16)
            {
                for (var l = 0; l < 16; l++)
                {
                    var i = c + l;
                    lanes[l] = MathF.FusedMultiplyAdd(i < d ? q[i] : 0f, i < d ? key[i] : 0f, lanes[l]);
                }
            }

            scores[j] = Sum16(lanes) * scale;
        }

        var max = scores.Max();
        for (var j = 0; j < n; j++)
        {
            scores[j] -= max;
        }

        TensorPrimitives.Exp(scores, scores);
        Array.Clear(lanes);
        for (var j = 0; j < (n + 15) / 16 * 16; j++)
        {
            lanes[j % 16] += j < n ? scores[j] : 0f;
        }

        var sum = Sum16(lanes);
        var output = new float[d];
        for (var j = 0; j < n; j++)
        {
            cache.Read(table, layer, j, value: true, row);
            var value = row.AsSpan(kvHead * d, d);
            for (var i = 0; i < d; i++)
            {
                output[i] = MathF.FusedMultiplyAdd(scores[j], value[i], output[i]);
            }
        }

        for (var i = 0; i < d; i++)
        {
            output[i] /= sum;
        }

        return output;
    }

    /// <summary>Lanes l and l+8, then l and l+4, then (0+2) + (1+3).</summary>
    public static float Sum16(float[] lanes)
    {
        var s8 = new float[8];
        for (var l = 0; l < 8; l++)
        {
            s8[l] = lanes[l] + lanes[l + 8];
        }

        var s4 = new float[4];
        for (var l = 0; l < 4; l++)
        {
            s4[l] = s8[l] + s8[l + 4];
        }

        return (s4[0] + s4[2]) + (s4[1] + s4[3]);
    }
}
