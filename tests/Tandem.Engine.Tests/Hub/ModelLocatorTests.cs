using Tandem.Engine.Hub;
using Tandem.Engine.Models;

namespace Tandem.Engine.Tests.Hub;

public class ModelLocatorTests
{
    private const string Repo = "tandem-test/stories260K";

    private static readonly string[] Expected =
        ["config.json", "generation_config.json", "tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "model.safetensors"];

    private static HubOptions Options(FakeHubServer server, TempDirectory cache, params (string Name, string Value)[] extra)
    {
        var environment = new Dictionary<string, string> { ["HF_HUB_CACHE"] = cache.Path, ["HF_ENDPOINT"] = server.Endpoint };
        foreach (var (name, value) in extra)
        {
            environment[name] = value;
        }

        return new HubOptions { Environment = environment.GetValueOrDefault };
    }

    [Fact]
    public async Task Downloads_into_the_hf_cache_layout_and_then_serves_from_it()
    {
        var model = SharedData.Require("models", "stories260K");
        using var server = new FakeHubServer(model, Repo);
        using var cache = new TempDirectory();
        var progress = new List<DownloadProgress>();
        var options = Options(server, cache);

        var snapshot = await ModelLocator.ResolveAsync(Repo, options, new SynchronousProgress(progress.Add), TestContext.Current.CancellationToken);

        var repoDir = cache.Combine("models--tandem-test--stories260K");
        Assert.Equal(Path.Combine(repoDir, "snapshots", FakeHubServer.Commit), snapshot);
        Assert.Equal(FakeHubServer.Commit, File.ReadAllText(Path.Combine(repoDir, "refs", "main")));
        foreach (var file in Expected)
        {
            var link = new FileInfo(Path.Combine(snapshot, file));
            Assert.NotNull(link.LinkTarget);
            Assert.StartsWith("../../blobs/", link.LinkTarget, StringComparison.Ordinal);
            Assert.Equal(File.ReadAllBytes(Path.Combine(model, file)), File.ReadAllBytes(link.FullName));
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(repoDir, "blobs"), "*.incomplete"));
        Assert.Contains(progress, p => p.File == "model.safetensors" && p.IsComplete && p.TotalBytes == new FileInfo(Path.Combine(model, "model.safetensors")).Length);
        Assert.Equal(512, ModelConfigLoader.Load(snapshot).VocabSize);

        var requests = server.Requests.Count;
        Assert.Equal(snapshot, await ModelLocator.ResolveAsync(Repo, options, null, TestContext.Current.CancellationToken));
        Assert.Equal(snapshot, await ModelLocator.ResolveAsync($"{Repo}@{FakeHubServer.Commit}", options, null, TestContext.Current.CancellationToken));
        Assert.Equal(requests, server.Requests.Count);
    }

    [Fact]
    public async Task Resumes_a_download_the_server_cut_off()
    {
        var model = SharedData.Require("models", "stories260K");
        using var server = new FakeHubServer(model, Repo) { CutLfsBodies = 1 };
        using var cache = new TempDirectory();

        var snapshot = await ModelLocator.ResolveAsync(Repo, Options(server, cache), null, TestContext.Current.CancellationToken);

        Assert.Equal(File.ReadAllBytes(Path.Combine(model, "model.safetensors")), File.ReadAllBytes(Path.Combine(snapshot, "model.safetensors")));
        var resumed = Assert.Single(server.Requests, r => r.Range is not null);
        Assert.StartsWith("/lfs/", resumed.Path, StringComparison.Ordinal);
        Assert.NotEqual("bytes=0-", resumed.Range);
    }

    [Fact]
    public async Task Sends_the_token_to_the_hub_only_and_explains_401()
    {
        var model = SharedData.Require("models", "stories260K");
        using var server = new FakeHubServer(model, Repo) { RequiredToken = "secret", CrossHostRedirect = true };
        using var cache = new TempDirectory();

        var denied = await Assert.ThrowsAsync<ModelLoadException>(() => ModelLocator.ResolveAsync(Repo, Options(server, cache), null, TestContext.Current.CancellationToken));
        Assert.Contains("HF_TOKEN", denied.Message, StringComparison.Ordinal);
        Assert.Contains("401", denied.Message, StringComparison.Ordinal);

        var snapshot = await ModelLocator.ResolveAsync(Repo, Options(server, cache, ("HF_TOKEN", "secret")), null, TestContext.Current.CancellationToken);
        Assert.True(File.Exists(Path.Combine(snapshot, "model.safetensors")));
        Assert.All(server.Requests.Where(r => r.Path.StartsWith("/lfs/", StringComparison.Ordinal)), r => Assert.Null(r.Authorization));
        Assert.Contains(server.Requests, r => r.Path.StartsWith("/lfs/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missing_repository_names_the_url()
    {
        var model = SharedData.Require("models", "stories260K");
        using var server = new FakeHubServer(model, Repo);
        using var cache = new TempDirectory();

        var e = await Assert.ThrowsAsync<ModelLoadException>(() => ModelLocator.ResolveAsync("tandem-test/missing@v2", Options(server, cache), null, TestContext.Current.CancellationToken));
        Assert.Contains("repository or revision not found", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{server.Endpoint}/tandem-test/missing/resolve/v2/config.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Offline_mode_forbids_downloads_but_uses_the_cache()
    {
        var model = SharedData.Require("models", "stories260K");
        using var server = new FakeHubServer(model, Repo);
        using var cache = new TempDirectory();

        var e = await Assert.ThrowsAsync<ModelLoadException>(() => ModelLocator.ResolveAsync(Repo, Options(server, cache, ("HF_HUB_OFFLINE", "1")), null, TestContext.Current.CancellationToken));
        Assert.Contains("HF_HUB_OFFLINE", e.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);

        await ModelLocator.ResolveAsync(Repo, Options(server, cache), null, TestContext.Current.CancellationToken);
        var requests = server.Requests.Count;
        var snapshot = await ModelLocator.ResolveAsync(Repo, Options(server, cache, ("HF_HUB_OFFLINE", "1")), null, TestContext.Current.CancellationToken);
        Assert.True(File.Exists(Path.Combine(snapshot, "config.json")));
        Assert.Equal(requests, server.Requests.Count);
    }

    [Fact]
    public async Task Local_directories_are_used_in_place_and_checked()
    {
        var model = SharedData.Require("models", "stories260K");
        var options = new HubOptions { Environment = _ => null };
        Assert.Equal(Path.GetFullPath(model), await ModelLocator.ResolveAsync(model, options, null, TestContext.Current.CancellationToken));

        using var empty = new TempDirectory();
        var e = await Assert.ThrowsAsync<ModelLoadException>(() => ModelLocator.ResolveAsync(empty.Path, options, null, TestContext.Current.CancellationToken));
        Assert.Contains("config.json is missing", e.Message, StringComparison.Ordinal);
        Assert.Contains(empty.Path, e.Message, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<ModelLoadException>(() => ModelLocator.ResolveAsync(empty.Combine("a", "b"), options, null, TestContext.Current.CancellationToken));
        Assert.Contains("no such directory", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cache_location_follows_the_hf_environment()
    {
        HubOptions With(params (string, string)[] vars) => new() { HomeDirectory = "/home/u", Environment = vars.ToDictionary(v => v.Item1, v => v.Item2).GetValueOrDefault };
        Assert.Equal("/c", With(("HF_HUB_CACHE", "/c"), ("HF_HOME", "/h")).CacheDirectory);
        Assert.Equal("/h/hub", With(("HF_HOME", "/h")).CacheDirectory);
        Assert.Equal("/x/huggingface/hub", With(("XDG_CACHE_HOME", "/x")).CacheDirectory);
        Assert.Equal("/home/u/.cache/huggingface/hub", With().CacheDirectory);
        Assert.Equal(HubOptions.DefaultEndpoint, With().Endpoint);
    }

    private sealed class SynchronousProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
