using Tandem.Engine.Kernels;

namespace Tandem.Engine.Weights;

/// <summary>
/// Quantizes a loaded model's linear layers (q, k, v, o, gate, up, down and lm_head) to Q8_0 or
/// Q4_0 at load, into owned 64-byte-aligned native memory, in the kernels' row groups. Matrices whose rows are not whole
/// blocks of 32 (stories260K's 172-wide down projections), and matrices already in a block type,
/// stay as stored. The embedding table stays as stored too, except when it is tied to lm_head:
/// then both use the one quantized copy (the embedding lookup dequantizes its row).
/// </summary>
public static unsafe class LoadTimeQuantizer
{
    /// <summary>
    /// The quantized weights, owning <paramref name="weights"/> (disposing them disposes it), and a
    /// one-line note of what was quantized and what was kept. With <see cref="WeightQuantization.None"/>
    /// returns <paramref name="weights"/> itself and a null note.
    /// </summary>
    public static (LlamaWeights Weights, string? Note) Apply(LlamaWeights weights, WeightQuantization quantization)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (quantization.Target() is not { } target)
        {
            return (weights, null);
        }

        // The quantized matrices' memory; it owns the original weights too (still used for norms, the embedding and kept matrices).
        var owner = new NativeBuffers(weights);
        try
        {
            var run = new Run(owner, target);
            return (weights.WithMatrices(run.Matrix, owner), run.Note(quantization));
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Quantizes every row of <paramref name="source"/> (F32, F16 or BF16; Cols a multiple of 32) into
    /// <paramref name="destination"/> (<c>QuantizedRowGroups.Bytes</c> bytes), group by group: 16 rows
    /// to GGUF blocks, then packed.
    /// </summary>
    public static WeightMatrix Quantize(in WeightMatrix source, DType target, byte* destination)
    {
        var w = source;
        var rowBytes = checked((int)target.RowBytes(w.Cols));
        var groupBytes = QuantizedRowGroups.GroupBytes(target, w.Cols);
        Parallel.For(
            0,
            QuantizedRowGroups.Groups(w.Rows),
            () => (Row: new float[w.Cols], Blocks: new byte[QuantizedRowGroups.GroupRows * rowBytes]),
            (g, _, scratch) =>
            {
                var rows = stackalloc nint[QuantizedRowGroups.GroupRows];
                fixed (byte* blocks = scratch.Blocks)
                {
                    for (var i = 0; i < QuantizedRowGroups.GroupRows; i++)
                    {
                        var r = (g * QuantizedRowGroups.GroupRows) + i;
                        rows[i] = 0;
                        if (r < w.Rows)
                        {
                            WeightRows.ToFloat(w, r, scratch.Row);
                            Quantizer.QuantizeRow(scratch.Row, target, scratch.Blocks.AsSpan(i * rowBytes, rowBytes));
                            rows[i] = (nint)(blocks + (i * rowBytes));
                        }
                    }

                    QuantizedRowGroups.PackGroup(target, w.Cols, rows, destination + (g * groupBytes));
                }

                return scratch;
            },
            _ => { });
        return new WeightMatrix(destination, target, w.Rows, w.Cols);
    }

    private sealed class Run(NativeBuffers owner, DType target)
    {
        private readonly Dictionary<string, (int Count, string Why)> _kept = [];
        private int _quantized;
        private long _before;
        private long _after;

        public WeightMatrix Matrix(WeightMatrix w, string name)
        {
            var why = w.DType.IsQuantized() ? $"already {w.DType}"
                : w.Cols % target.BlockSize() != 0 ? $"rows of {w.Cols}, not a multiple of {target.BlockSize()}"
                : null;
            if (why is not null)
            {
                _kept[name] = (_kept.GetValueOrDefault(name).Count + 1, why);
                return w;
            }

            var bytes = QuantizedRowGroups.Bytes(target, w.Rows, w.Cols);
            _quantized++;
            _before += w.ByteCount;
            _after += bytes;
            return Quantize(w, target, owner.Allocate(bytes));
        }

        public string Note(WeightQuantization quantization)
        {
            var note = $"quantization {quantization.Name()}: {_quantized} matrices to {target} ({_before / 1e6:F1} MB -> {_after / 1e6:F1} MB)";
            return _kept.Count == 0 ? note
                : note + "; kept as stored: " + string.Join(", ", _kept.Select(k => $"{k.Key} x{k.Value.Count} ({k.Value.Why})"));
        }
    }
}
