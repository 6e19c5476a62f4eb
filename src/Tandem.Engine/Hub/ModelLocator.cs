using System.Text.RegularExpressions;
using Tandem.Engine.Models;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Hub;

/// <summary>
/// Turns a model argument into a local directory in Hugging Face layout:
/// <list type="bullet">
/// <item>an existing directory, which must hold config.json;</item>
/// <item><c>org/name</c> or <c>org/name@revision</c>: the snapshot in the Hugging Face cache when it is
/// complete, otherwise downloaded from the hub into that cache (the layout Python tools use).</item>
/// </list>
/// Downloads pin every file to the commit the first response names, write blobs through
/// <c>.incomplete</c> files (resumed with HTTP Range after a broken transfer), and write
/// <c>refs/{revision}</c> last, so an interrupted download is never mistaken for a complete one.
/// </summary>
public static partial class ModelLocator
{
    public static readonly IReadOnlyList<string> OptionalFiles =
        ["generation_config.json", "tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"];

    public static async Task<string> ResolveAsync(string modelArgument, HubOptions options, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelArgument);
        ArgumentNullException.ThrowIfNull(options);
        if (Directory.Exists(modelArgument))
        {
            var full = Path.GetFullPath(modelArgument);
            return File.Exists(Path.Combine(full, ModelConfigLoader.FileName))
                ? full
                : throw new ModelLoadException(full, ["not a model directory: config.json is missing (expected Hugging Face layout: config.json, model.safetensors, tokenizer files)"]);
        }

        var match = RepoArgument().Match(modelArgument);
        if (!match.Success)
        {
            throw new ModelLoadException(modelArgument, ["no such directory, and not a Hugging Face repository id (org/name or org/name@revision)"]);
        }

        var repo = match.Groups["repo"].Value;
        var revision = match.Groups["revision"].Success ? match.Groups["revision"].Value : "main";
        var cache = new HubCache(options.CacheDirectory, repo);
        var isCommit = CommitHash().IsMatch(revision);
        if ((isCommit ? revision : cache.ReadRef(revision)) is { } cached && cache.IsComplete(cached))
        {
            var snapshot = cache.SnapshotDirectory(cached);
            HubLog.UsingCache(options.Logger, repo, revision, snapshot);
            return snapshot;
        }

        if (options.Offline)
        {
            throw new ModelLoadException(cache.RepoDirectory, [$"HF_HUB_OFFLINE is set and {repo}@{revision} is not complete in the cache; unset it to download"]);
        }

        var handler = options.Handler ?? new SocketsHttpHandler { AllowAutoRedirect = false };
        using var client = new HubClient(new HttpClient(handler, disposeHandler: options.Handler is null) { Timeout = Timeout.InfiniteTimeSpan }, options);
        return await DownloadAsync(client, cache, repo, revision, isCommit, options, progress, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string> DownloadAsync(HubClient client, HubCache cache, string repo, string revision, bool isCommit,
        HubOptions options, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var configUri = client.ResolveUri(repo, revision, ModelConfigLoader.FileName);
        var config = await client.HeadAsync(configUri, ModelConfigLoader.FileName, optional: true, cancellationToken).ConfigureAwait(false)
            ?? throw new ModelLoadException(configUri.ToString(), [$"repository or revision not found: {repo}@{revision} (no config.json at this URL)"]);
        var commit = config.Commit ?? (isCommit ? revision
            : throw new ModelLoadException(configUri.ToString(), ["the server sent no X-Repo-Commit header; is HF_ENDPOINT a Hugging Face hub?"]));
        HubLog.Downloading(options.Logger, repo, revision, commit, cache.RepoDirectory);
        await FetchAsync(client, cache, commit, config, options, progress, cancellationToken).ConfigureAwait(false);

        foreach (var file in OptionalFiles)
        {
            await FetchIfPresentAsync(file).ConfigureAwait(false);
        }

        if (await FetchIfPresentAsync(SafetensorsCheckpoint.IndexFileName).ConfigureAwait(false))
        {
            var index = Path.Combine(cache.SnapshotDirectory(commit), SafetensorsCheckpoint.IndexFileName);
            var shards = HubCache.TryReadShards(index)
                ?? throw new ModelLoadException(index, ["weight_map: missing, not an object, or naming a bad shard"]);
            foreach (var shard in shards)
            {
                await FetchRequiredAsync(shard).ConfigureAwait(false);
            }
        }
        else
        {
            await FetchRequiredAsync(SafetensorsCheckpoint.SingleFileName).ConfigureAwait(false);
        }

        if (!isCommit)
        {
            cache.WriteRef(revision, commit);
        }

        return cache.SnapshotDirectory(commit);

        async Task<bool> FetchIfPresentAsync(string file)
        {
            var info = await client.HeadAsync(client.ResolveUri(repo, commit, file), file, optional: true, cancellationToken).ConfigureAwait(false);
            if (info is null)
            {
                HubLog.SkippingMissing(options.Logger, file);
                return false;
            }

            await FetchAsync(client, cache, commit, info, options, progress, cancellationToken).ConfigureAwait(false);
            return true;
        }

        async Task FetchRequiredAsync(string file)
        {
            var info = await client.HeadAsync(client.ResolveUri(repo, commit, file), file, optional: false, cancellationToken).ConfigureAwait(false);
            await FetchAsync(client, cache, commit, info!, options, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task FetchAsync(HubClient client, HubCache cache, string commit, HubFileInfo info,
        HubOptions options, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var blob = cache.BlobPath(info.Etag);
        if (!File.Exists(blob))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
            var incomplete = blob + ".incomplete";
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await client.DownloadAsync(info, incomplete, progress, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
                {
                    var have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
                    if (attempt >= options.MaxAttempts)
                    {
                        throw new ModelLoadException(info.DownloadUri.ToString(), [$"download of {info.File} failed after {attempt} attempts ({have} bytes kept in {incomplete} for the next try): {e.Message}"], e);
                    }

                    HubLog.Resuming(options.Logger, info.File, have, attempt, options.MaxAttempts, e);
                }
            }

            var length = new FileInfo(incomplete).Length;
            if (info.Size is { } size && length != size)
            {
                File.Delete(incomplete);
                throw new ModelLoadException(info.DownloadUri.ToString(), [$"{info.File}: received {length} bytes, the server announced {size}"]);
            }

            File.Move(incomplete, blob, overwrite: true);
        }
        else
        {
            var length = new FileInfo(blob).Length;
            progress?.Report(new DownloadProgress(info.File, length, length));
        }

        cache.Link(commit, info.File, blob);
    }

    [GeneratedRegex(@"^(?<repo>[A-Za-z0-9][\w.-]*/[\w.-]+)(@(?<revision>[\w./-]+))?$")]
    private static partial Regex RepoArgument();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHash();
}
