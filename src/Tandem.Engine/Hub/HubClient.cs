using System.Net;
using System.Net.Http.Headers;
using Tandem.Engine.Models;

namespace Tandem.Engine.Hub;

/// <summary>What a HEAD on a resolve URL says about one file.</summary>
internal sealed record HubFileInfo(string File, Uri DownloadUri, string? Commit, string Etag, long? Size);

/// <summary>
/// The HTTP side of the hub: HEAD a resolve URL for its commit/ETag/size, GET a file into a
/// <c>.incomplete</c> file with Range resume. Redirects are followed here, not by the handler, so
/// the bearer token goes only to the hub's own host.
/// </summary>
internal sealed class HubClient(HttpClient http, HubOptions options) : IDisposable
{
    private const int MaxRedirects = 10;
    private readonly Uri _endpoint = new(options.Endpoint + "/");
    private readonly string? _token = options.Token;

    public Uri ResolveUri(string repo, string revision, string file) =>
        new($"{options.Endpoint}/{repo}/resolve/{Uri.EscapeDataString(revision)}/{file}");

    /// <summary>HEADs the resolve URL, following same-host redirects. Null on 404 when <paramref name="optional"/>.</summary>
    public async Task<HubFileInfo?> HeadAsync(Uri resolve, string file, bool optional, CancellationToken cancellationToken)
    {
        var (response, uri) = await SendAsync(HttpMethod.Head, resolve, rangeStart: null, crossHost: false, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound && optional)
            {
                return null;
            }

            var redirect = (int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location
                ? (location.IsAbsoluteUri ? location : new Uri(uri, location))
                : null;
            if (redirect is null)
            {
                EnsureSuccess(response, uri, file);
            }

            var etag = Header(response, "X-Linked-Etag") ?? Header(response, "ETag")
                ?? throw new ModelLoadException(uri.ToString(), [$"the server sent no ETag for {file}; is HF_ENDPOINT a Hugging Face hub?"]);
            long? linkedSize = long.TryParse(Header(response, "X-Linked-Size"), out var linked) ? linked : null;
            var size = linkedSize ?? (redirect is null ? response.Content.Headers.ContentLength : null);
            return new HubFileInfo(file, redirect ?? uri, Header(response, "X-Repo-Commit"), NormalizeEtag(etag), size);
        }
    }

    /// <summary>GETs the file into <paramref name="incomplete"/>, appending from its current length when the server honours Range.</summary>
    public async Task DownloadAsync(HubFileInfo info, string incomplete, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var offset = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
        if (info.Size is { } expected && offset == expected)
        {
            return;
        }

        var (response, uri) = await SendAsync(HttpMethod.Get, info.DownloadUri, offset > 0 ? offset : null, crossHost: true, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                File.Delete(incomplete);
                throw new IOException($"the server refused to resume {info.File} at byte {offset}; starting over");
            }

            EnsureSuccess(response, uri, info.File);
            if (response.StatusCode != HttpStatusCode.PartialContent || response.Content.Headers.ContentRange?.From != offset)
            {
                offset = 0;
            }

            var total = info.Size ?? (response.Content.Headers.ContentLength is { } length ? offset + length : null);
            var file = new FileStream(incomplete, offset > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await using (file.ConfigureAwait(false))
            {
                var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                await using (body.ConfigureAwait(false))
                {
                    var buffer = new byte[1 << 20];
                    var done = offset;
                    progress?.Report(new DownloadProgress(info.File, done, total));
                    int read;
                    while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                        done += read;
                        progress?.Report(new DownloadProgress(info.File, done, total));
                    }
                }
            }
        }
    }

    public void Dispose() => http.Dispose();

    private async Task<(HttpResponseMessage Response, Uri Uri)> SendAsync(HttpMethod method, Uri uri, long? rangeStart, bool crossHost, CancellationToken cancellationToken)
    {
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, uri);
            if (_token is not null && SameHost(uri, _endpoint))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            }

            if (rangeStart is { } start)
            {
                request.Headers.Range = new RangeHeaderValue(start, null);
            }

            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (method == HttpMethod.Head)
            {
                throw new ModelLoadException(uri.ToString(), [$"cannot reach the server: {e.Message}"], e);
            }

            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                var next = location.IsAbsoluteUri ? location : new Uri(uri, location);
                if ((crossHost || SameHost(next, uri)) && hop < MaxRedirects)
                {
                    response.Dispose();
                    uri = next;
                    continue;
                }
            }

            return (response, uri);
        }
    }

    private void EnsureSuccess(HttpResponseMessage response, Uri uri, string file)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        switch (response.StatusCode)
        {
            case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                var hint = _token is null
                    ? "the repository may be private or gated (or not exist): set HF_TOKEN to a token that can read it"
                    : "HF_TOKEN is set but does not grant access to this repository (private, gated, or not existing)";
                throw new ModelLoadException(uri.ToString(), [$"HTTP {(int)response.StatusCode} for {file}: {hint}"]);
            case HttpStatusCode.NotFound:
                var code = Header(response, "X-Error-Code");
                throw new ModelLoadException(uri.ToString(), [code == "EntryNotFound"
                    ? $"{file} not found in the repository"
                    : $"repository or revision not found ({code ?? "HTTP 404"})"]);
            default:
                throw new ModelLoadException(uri.ToString(), [$"HTTP {(int)response.StatusCode} {response.ReasonPhrase} for {file}"]);
        }
    }

    private static bool SameHost(Uri a, Uri b) => string.Equals(a.Authority, b.Authority, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase);

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? values.FirstOrDefault()
            : null;

    private static string NormalizeEtag(string etag) => (etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag).Trim('"');
}
