using Tandem.Engine.Gguf;
using Tandem.Engine.Models;

namespace Tandem.Engine.Tests.Gguf;

public class GgufFileTests
{
    private static readonly string[] IntegerKeys = ["u8", "i8", "u16", "i16", "i32", "u64", "i64"];

    [Fact]
    public void Reads_every_metadata_value_type_and_a_q4_0_tensor()
    {
        // One Q4_0 block: scale 0.5, nibbles j | (15 - j) << 4 for j < 16.
        var block = new byte[18];
        BitConverter.TryWriteBytes(block.AsSpan(0, 2), (Half)0.5f);
        for (var j = 0; j < 16; j++)
        {
            block[2 + j] = (byte)(j | ((15 - j) << 4));
        }

        var bytes = new GgufBytes { Alignment = 64 }
            .Kv("general.alignment", 4, w => w.Write(64u))
            .Kv("u8", 0, w => w.Write((byte)200))
            .Kv("i8", 1, w => w.Write((sbyte)-3))
            .Kv("u16", 2, w => w.Write((ushort)65000))
            .Kv("i16", 3, w => w.Write((short)-300))
            .Kv("i32", 5, w => w.Write(-7))
            .Kv("f32", 6, w => w.Write(1.5f))
            .Kv("bool", 7, w => w.Write((byte)1))
            .Kv("str", 8, w => GgufBytes.Str(w, "héllo"))
            .Kv("u64", 10, w => w.Write(1UL << 40))
            .Kv("i64", 11, w => w.Write(-(1L << 40)))
            .Kv("f64", 12, w => w.Write(2.25))
            .Kv("strs", 9, w =>
            {
                w.Write(8u);
                w.Write(2UL);
                GgufBytes.Str(w, "a");
                GgufBytes.Str(w, "bc");
            })
            .Kv("nested", 9, w =>
            {
                w.Write(9u);
                w.Write(1UL);
                w.Write(5u);
                w.Write(2UL);
                w.Write(1);
                w.Write(2);
            })
            .Tensor("first", [3], 0, new byte[12])
            .Tensor("q", [32, 1], 2, block)
            .ToArray();

        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "t.gguf");
        File.WriteAllBytes(path, bytes);
        using var file = GgufFile.Open(path);
        var m = file.Metadata;
        Assert.Equal((3u, 64), (file.Version, file.Alignment));
        Assert.Equal([200L, -3, 65000, -300, -7, 1L << 40, -(1L << 40)], IntegerKeys.Select(k => m.GetInteger(k)!.Value));
        Assert.Equal((1.5, 2.25), (m.GetFloat("f32"), m.GetFloat("f64")));
        Assert.True(m.GetBool("bool"));
        Assert.Equal("héllo", m.GetString("str"));
        Assert.Equal(["a", "bc"], m.GetArray<string>("strs")!);
        Assert.Equal([1, 2], (int[])m.GetArray<object>("nested")![0]);
        Assert.Throws<ModelLoadException>(() => m.GetString("u8"));

        var q = file.Tensors["q"];
        Assert.Equal(0, file.DataStart % 64);
        Assert.Equal(64, q.Offset);
        var values = new float[32];
        GgufDequantizer.ToSingle(file.Bytes(q), q.Type, values);
        for (var j = 0; j < 16; j++)
        {
            Assert.Equal(0.5f * (j - 8), values[j]);
            Assert.Equal(0.5f * (15 - j - 8), values[j + 16]);
        }
    }

    [Fact]
    public void Q8_0_blocks_scale_signed_bytes()
    {
        var block = new byte[34];
        BitConverter.TryWriteBytes(block.AsSpan(0, 2), (Half)0.25f);
        for (var j = 0; j < 32; j++)
        {
            block[2 + j] = (byte)(sbyte)(j - 16);
        }

        var values = new float[32];
        GgufDequantizer.ToSingle(block, GgufTensorType.Q8_0, values);
        Assert.Equal(Enumerable.Range(0, 32).Select(j => 0.25f * (j - 16)), values);
    }

    [Fact]
    public void A_truncated_file_is_an_error_naming_the_file()
    {
        var whole = File.ReadAllBytes(GgufTestModels.Stories("f32"));
        using var dir = new TempDirectory();
        foreach (var length in new[] { 10, 1000, whole.Length - 100 })
        {
            var path = Path.Combine(dir.Path, $"cut-{length}.gguf");
            File.WriteAllBytes(path, whole[..length]);
            var e = Assert.Throws<ModelLoadException>(() => GgufFile.Open(path).Dispose());
            Assert.Equal(path, e.FilePath);
            Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Bad_magic_and_unsupported_versions_are_errors()
    {
        using var dir = new TempDirectory();
        var bytes = File.ReadAllBytes(GgufTestModels.Stories("f32"));
        var path = Path.Combine(dir.Path, "bad.gguf");
        bytes[0] = (byte)'X';
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ModelLoadException>(() => GgufFile.Open(path).Dispose());
        Assert.Contains("not a GGUF file", e.Message, StringComparison.Ordinal);
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, new GgufBytes { Version = 1 }.ToArray());
        e = Assert.Throws<ModelLoadException>(() => GgufFile.Open(path).Dispose());
        Assert.Contains("unsupported GGUF version 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_tensor_types_are_named()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "k.gguf");
        File.WriteAllBytes(path, new GgufBytes().Tensor("blk.0.attn_q.weight", [256, 1], 12, new byte[144]).ToArray());
        var e = Assert.Throws<ModelLoadException>(() => GgufFile.Open(path).Dispose());
        Assert.Contains("'blk.0.attn_q.weight' has unsupported ggml type 12 (Q4_K)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rope_rows_go_from_interleaved_to_rotate_half()
    {
        // Head size 8: HF rows 0..3 are GGUF rows 0,2,4,6; HF rows 4..7 are 1,3,5,7; the next head is offset by 8.
        Assert.Equal([0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15], Enumerable.Range(0, 16).Select(r => GgufRopeOrder.InterleavedRow(r, 8)));
    }
}
