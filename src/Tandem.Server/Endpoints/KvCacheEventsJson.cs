using System.Text.Json;
using Tandem.Engine.KvCache;

namespace Tandem.Server.Endpoints;

/// <summary>
/// KV-cache events in TensorRT-LLM's JSON (its <c>KVCacheEventSerializer</c>), what its <c>kv_cache_aware</c> router reads:
/// <code>
/// {"event_id": 0, "data": {"type": "created", "num_blocks_per_cache_level": [blocks, 0]}, "window_size": W}
/// {"event_id": 1, "data": {"type": "stored", "parent_hash": null | hash, "blocks": [{"type": "stored_block",
///    "block_hash": hash, "tokens": [{"type": "unique_token", "token_id": t, "token_extra_id": 0}, ...],
///    "cache_level": 0, "priority": 35}, ...]}, "window_size": W}
/// {"event_id": 2, "data": {"type": "removed", "block_hashes": [hash, ...]}, "window_size": W}
/// </code>
/// Hashes are unsigned 64-bit integers (<see cref="BlockHasher"/>); <c>W</c> is the attention window, the engine's
/// max_seq_len (no sliding window); 35 is TensorRT-LLM's default retention priority; level 0 is the only cache level here.
/// </summary>
internal static class KvCacheEventsJson
{
    private const int DefaultPriority = 35;

    public static void Write(Utf8JsonWriter writer, IReadOnlyList<KvCacheEvent> events, int windowSize)
    {
        writer.WriteStartArray();
        foreach (var e in events)
        {
            writer.WriteStartObject();
            writer.WriteNumber("event_id", e.Id);
            writer.WriteStartObject("data");
            switch (e.Kind)
            {
                case KvCacheEventKind.Created:
                    writer.WriteString("type", "created");
                    writer.WriteStartArray("num_blocks_per_cache_level");
                    writer.WriteNumberValue(e.BlockCount);
                    writer.WriteNumberValue(0);
                    writer.WriteEndArray();
                    break;
                case KvCacheEventKind.Stored:
                    writer.WriteString("type", "stored");
                    if (e.ParentHash is { } parent)
                    {
                        writer.WriteNumber("parent_hash", parent);
                    }
                    else
                    {
                        writer.WriteNull("parent_hash");
                    }

                    writer.WriteStartArray("blocks");
                    foreach (var block in e.Blocks)
                    {
                        WriteBlock(writer, block);
                    }

                    writer.WriteEndArray();
                    break;
                case KvCacheEventKind.Removed:
                    writer.WriteString("type", "removed");
                    writer.WriteStartArray("block_hashes");
                    foreach (var hash in e.RemovedHashes)
                    {
                        writer.WriteNumberValue(hash);
                    }

                    writer.WriteEndArray();
                    break;
                default:
                    throw new InvalidOperationException($"unknown KV-cache event kind {e.Kind}");
            }

            writer.WriteEndObject();
            writer.WriteNumber("window_size", windowSize);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteBlock(Utf8JsonWriter writer, StoredBlock block)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "stored_block");
        writer.WriteNumber("block_hash", block.Hash);
        writer.WriteStartArray("tokens");
        foreach (var token in block.Tokens)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "unique_token");
            writer.WriteNumber("token_id", token);
            writer.WriteNumber("token_extra_id", 0);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteNumber("cache_level", 0);
        writer.WriteNumber("priority", DefaultPriority);
        writer.WriteEndObject();
    }
}
