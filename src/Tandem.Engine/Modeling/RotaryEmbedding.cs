using System.Runtime.Intrinsics;
using Tandem.Engine.Models;

namespace Tandem.Engine.Modeling;

/// <summary>
/// Rotary position embedding in the Hugging Face "rotate half" layout: dimension i pairs with
/// i + head_dim/2. Cos/sin tables are precomputed for every position up to the maximum sequence
/// length, in fp32 as transformers computes them, with optional <c>llama3</c> frequency scaling.
/// </summary>
public sealed class RotaryEmbedding
{
    private readonly float[] _cos;
    private readonly float[] _sin;
    private readonly int _half;

    public RotaryEmbedding(int headDim, int maxPositions, float theta, RopeScaling? scaling)
    {
        _half = headDim / 2;
        var inverseFrequencies = new float[_half];
        for (var i = 0; i < _half; i++)
        {
            inverseFrequencies[i] = 1f / MathF.Pow(theta, 2 * i / (float)headDim);
        }

        if (scaling is not null)
        {
            ApplyLlama3Scaling(inverseFrequencies, scaling);
        }

        MaxPositions = maxPositions;
        _cos = new float[maxPositions * _half];
        _sin = new float[maxPositions * _half];
        for (var p = 0; p < maxPositions; p++)
        {
            for (var i = 0; i < _half; i++)
            {
                var angle = p * inverseFrequencies[i];
                _cos[(p * _half) + i] = MathF.Cos(angle);
                _sin[(p * _half) + i] = MathF.Sin(angle);
            }
        }
    }

    public int MaxPositions { get; }

    /// <summary>Rotates each of the <paramref name="heads"/> heads of <paramref name="vector"/> for <paramref name="position"/>.</summary>
    public void Apply(Span<float> vector, int heads, int position)
    {
        var cos = _cos.AsSpan(position * _half, _half);
        var sin = _sin.AsSpan(position * _half, _half);
        var headDim = 2 * _half;
        for (var h = 0; h < heads; h++)
        {
            var head = vector.Slice(h * headDim, headDim);

            // 16 pairs at a time where the CPU has 512-bit vectors, then one by one: a multiply and an add
            // or subtract per element, rounded alike in every width, so each element's result is the scalar loop's.
            var i = 0;
            for (; Vector512.IsHardwareAccelerated && i + Vector512<float>.Count <= _half; i += Vector512<float>.Count)
            {
                var c = Vector512.Create<float>(cos[i..]);
                var n = Vector512.Create<float>(sin[i..]);
                var x0 = Vector512.Create<float>(head[i..]);
                var x1 = Vector512.Create<float>(head[(i + _half)..]);
                ((x0 * c) - (x1 * n)).CopyTo(head[i..]);
                ((x1 * c) + (x0 * n)).CopyTo(head[(i + _half)..]);
            }

            for (; i < _half; i++)
            {
                var x0 = head[i];
                var x1 = head[i + _half];
                head[i] = (x0 * cos[i]) - (x1 * sin[i]);
                head[i + _half] = (x1 * cos[i]) + (x0 * sin[i]);
            }
        }
    }

    private static void ApplyLlama3Scaling(float[] inverseFrequencies, RopeScaling s)
    {
        var lowFreqWavelength = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        var highFreqWavelength = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        for (var i = 0; i < inverseFrequencies.Length; i++)
        {
            var frequency = inverseFrequencies[i];
            var wavelength = 2 * MathF.PI / frequency;
            if (wavelength < highFreqWavelength)
            {
                continue;
            }

            if (wavelength > lowFreqWavelength)
            {
                inverseFrequencies[i] = frequency / s.Factor;
                continue;
            }

            var smooth = ((s.OriginalMaxPositionEmbeddings / wavelength) - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
            inverseFrequencies[i] = ((1 - smooth) * frequency / s.Factor) + (smooth * frequency);
        }
    }
}
