using System.Security.Cryptography;

namespace Tandem.Engine.Runtime;

/// <summary>
/// A short identity of a model's weights, so that two servers exchange KV caches only when they
/// run the same model. It hashes config.json and, for each weight file, its length and its first
/// and last 64 KiB (headers, offsets and a sample of the values) — cheap even for large models.
/// </summary>
public static class ModelFingerprint
{
    private const int SampleBytes = 64 * 1024;

    /// <summary>Of a Hugging Face model directory, or of one model file (GGUF).</summary>
    public static string Compute(string modelDirectory)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var config = Path.Combine(modelDirectory, "config.json");
        if (File.Exists(config))
        {
            hash.AppendData(File.ReadAllBytes(config));
        }

        IEnumerable<string> files = File.Exists(modelDirectory)
            ? [modelDirectory]
            : Directory.GetFiles(modelDirectory, "*.safetensors").Order(StringComparer.Ordinal);
        var buffer = new byte[SampleBytes];
        foreach (var file in files)
        {
            using var stream = File.OpenRead(file);
            hash.AppendData(BitConverter.GetBytes(stream.Length));
            hash.AppendData(buffer, 0, stream.ReadAtLeast(buffer, SampleBytes, throwOnEndOfStream: false));
            if (stream.Length > SampleBytes)
            {
                stream.Seek(-Math.Min(SampleBytes, stream.Length - SampleBytes), SeekOrigin.End);
                hash.AppendData(buffer, 0, stream.ReadAtLeast(buffer, SampleBytes, throwOnEndOfStream: false));
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
