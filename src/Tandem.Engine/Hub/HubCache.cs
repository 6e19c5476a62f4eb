using System.Text.Json;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Hub;

/// <summary>
/// One repository's folder in the Hugging Face cache, laid out as <c>huggingface_hub</c> does so
/// Python tools share it:
/// <code>
/// {cache}/models--{org}--{name}/
///   refs/{revision}                 the commit hash the revision pointed to
///   blobs/{etag}[.incomplete]       file contents, named by ETag
///   snapshots/{commit}/{file}       relative symlink to ../../blobs/{etag} (a copy where links fail)
/// </code>
/// </summary>
internal sealed class HubCache(string cacheDirectory, string repoId)
{
    public string RepoDirectory { get; } = Path.Combine(cacheDirectory, "models--" + repoId.Replace("/", "--", StringComparison.Ordinal));

    public string SnapshotDirectory(string commit) => Path.Combine(RepoDirectory, "snapshots", commit);

    public string BlobPath(string etag) => Path.Combine(RepoDirectory, "blobs", etag);

    public string? ReadRef(string revision)
    {
        var path = RefPath(revision);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    public void WriteRef(string revision, string commit)
    {
        var path = RefPath(revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, commit);
    }

    /// <summary>Whether the snapshot holds config.json and all its weights (single file or every shard of the index).</summary>
    public bool IsComplete(string commit)
    {
        var snapshot = SnapshotDirectory(commit);
        if (!File.Exists(Path.Combine(snapshot, "config.json")))
        {
            return false;
        }

        var index = Path.Combine(snapshot, SafetensorsCheckpoint.IndexFileName);
        if (File.Exists(index))
        {
            var shards = TryReadShards(index);
            return shards is not null && shards.All(s => File.Exists(Path.Combine(snapshot, s)));
        }

        return File.Exists(Path.Combine(snapshot, SafetensorsCheckpoint.SingleFileName));
    }

    /// <summary>Points snapshots/{commit}/{file} at the blob: a relative symlink, or a copy where links fail.</summary>
    public void Link(string commit, string file, string blob)
    {
        var link = Path.Combine(SnapshotDirectory(commit), file);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.Delete(link);
        try
        {
            File.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, blob));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            File.Copy(blob, link, overwrite: true);
        }
    }

    /// <summary>The distinct shard names of an index's weight_map, in first-seen order; null when unreadable.</summary>
    public static List<string>? TryReadShards(string indexPath)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (!document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var shards = new List<string>();
            foreach (var entry in map.EnumerateObject())
            {
                var shard = entry.Value.GetString();
                if (string.IsNullOrEmpty(shard) || Path.IsPathRooted(shard) || shard.Contains("..", StringComparison.Ordinal))
                {
                    return null;
                }

                if (!shards.Contains(shard))
                {
                    shards.Add(shard);
                }
            }

            return shards;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or IOException)
        {
            return null;
        }
    }

    private string RefPath(string revision) => Path.Combine(RepoDirectory, "refs", revision);
}
