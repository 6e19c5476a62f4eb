using Tandem.Engine.KvCache;

namespace Tandem.Engine.Execution;

/// <summary>Turns the memory settings into a block count, explaining any refusal.</summary>
internal static class KvCacheSizing
{
    public static int BlockCount(EngineOptions options, KvCacheLayout layout, int maxSeqLen, out string? error)
    {
        error = null;
        long bytes = options.KvCacheMemoryBytes ?? (long)(AvailableMemoryBytes() * options.FreeMemoryFraction);
        var blocks = bytes / layout.BlockBytes;
        if (options.MaxKvTokens is { } maxTokens)
        {
            blocks = Math.Min(blocks, (maxTokens + layout.TokensPerBlock - 1) / layout.TokensPerBlock);
        }

        // More blocks than every batch slot at full length could use would only waste memory.
        blocks = Math.Min(blocks, (long)options.MaxBatchSize * layout.BlocksFor(maxSeqLen));
        blocks = Math.Min(blocks, int.MaxValue / 2);
        if (blocks < 1)
        {
            error = $"the KV cache budget of {bytes} bytes holds no block: one block of {layout.TokensPerBlock} tokens takes {layout.BlockBytes} bytes";
            return 0;
        }

        return (int)blocks;
    }

    private static long AvailableMemoryBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[1]) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }
}
