using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Tandem.Engine.Tests.Hub;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1 that serves one model directory the way the Hugging Face
/// hub does: <c>/{repo}/resolve/{main|commit}/{file}</c> answers with X-Repo-Commit and ETag;
/// model.safetensors is an "LFS" file answered with a 302 to <c>/lfs/{sha256}</c> (on
/// <c>localhost</c> instead of 127.0.0.1 when <see cref="CrossHostRedirect"/>) carrying
/// X-Linked-Etag and X-Linked-Size; the LFS path supports Range. Missing files get 404 with
/// X-Error-Code. One connection per request.
/// </summary>
internal sealed class FakeHubServer : IDisposable
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private const string LfsFile = "model.safetensors";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _directory;
    private readonly string _repo;
    private readonly CancellationTokenSource _stop = new();
    private int _cutsLeft;

    public FakeHubServer(string directory, string repo)
    {
        _directory = directory;
        _repo = repo;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>When set, resolve requests without <c>Authorization: Bearer {token}</c> get 401.</summary>
    public string? RequiredToken { get; init; }

    public bool CrossHostRedirect { get; init; }

    /// <summary>The next this-many LFS GETs send half the body and then close the connection.</summary>
    public int CutLfsBodies { set => _cutsLeft = value; }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var (method, path, headers) = await ReadRequestAsync(stream);
                Requests.Enqueue(new RecordedRequest(method, path, headers.GetValueOrDefault("range"), headers.GetValueOrDefault("authorization")));
                await RespondAsync(stream, method, path, headers);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task RespondAsync(NetworkStream stream, string method, string path, Dictionary<string, string> headers)
    {
        var head = method == "HEAD";
        if (path.StartsWith("/lfs/", StringComparison.Ordinal))
        {
            await ServeLfsAsync(stream, head, headers.GetValueOrDefault("range"));
            return;
        }

        var prefix = $"/{_repo}/resolve/";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            await WriteAsync(stream, 404, [("X-Error-Code", "RepositoryNotFound")], [], head);
            return;
        }

        if (RequiredToken is not null && headers.GetValueOrDefault("authorization") != "Bearer " + RequiredToken)
        {
            await WriteAsync(stream, 401, [("X-Error-Code", "GatedRepo")], [], head);
            return;
        }

        var rest = path[prefix.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var (revision, file) = (rest[..slash], rest[(slash + 1)..]);
        if (revision is not "main" and not Commit)
        {
            await WriteAsync(stream, 404, [("X-Error-Code", "RevisionNotFound")], [], head);
            return;
        }

        var local = Path.Combine(_directory, file);
        if (!File.Exists(local))
        {
            await WriteAsync(stream, 404, [("X-Error-Code", "EntryNotFound"), ("X-Repo-Commit", Commit)], [], head);
            return;
        }

        var bytes = await File.ReadAllBytesAsync(local);
        if (file == LfsFile)
        {
            var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            var host = CrossHostRedirect ? $"http://localhost:{Port}" : string.Empty;
            await WriteAsync(stream, 302, [("Location", $"{host}/lfs/{sha}"), ("X-Repo-Commit", Commit), ("X-Linked-Etag", $"\"{sha}\""), ("X-Linked-Size", bytes.Length.ToString())], [], head);
            return;
        }

        var etag = Convert.ToHexStringLower(SHA256.HashData(bytes))[..40]; // the hub uses the git blob SHA-1 here
        await WriteAsync(stream, 200, [("X-Repo-Commit", Commit), ("ETag", $"\"{etag}\"")], bytes, head);
    }

    private async Task ServeLfsAsync(NetworkStream stream, bool head, string? range)
    {
        var bytes = await File.ReadAllBytesAsync(Path.Combine(_directory, LfsFile));
        if (range is not null)
        {
            var start = int.Parse(range["bytes=".Length..].TrimEnd('-'));
            await WriteAsync(stream, 206, [("Content-Range", $"bytes {start}-{bytes.Length - 1}/{bytes.Length}")], bytes[start..], head);
            return;
        }

        if (!head && Interlocked.Decrement(ref _cutsLeft) >= 0)
        {
            await stream.WriteAsync(Header(200, bytes.Length, [("ETag", "\"lfs\"")]));
            await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await stream.FlushAsync();
            return; // closing the connection mid-body
        }

        await WriteAsync(stream, 200, [("ETag", "\"lfs\"")], bytes, head);
    }

    private static async Task WriteAsync(NetworkStream stream, int status, (string Name, string Value)[] headers, byte[] body, bool head)
    {
        await stream.WriteAsync(Header(status, body.Length, headers));
        if (!head)
        {
            await stream.WriteAsync(body);
        }
    }

    private static byte[] Header(int status, long length, (string Name, string Value)[] headers)
    {
        var text = new StringBuilder($"HTTP/1.1 {status} {(HttpStatusCode)status}\r\nContent-Length: {length}\r\nConnection: close\r\n");
        foreach (var (name, value) in headers)
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(text.Append("\r\n").ToString());
    }

    private static async Task<(string Method, string Path, Dictionary<string, string> Headers)> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 4 || !(buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                throw new IOException("client closed before the request ended");
            }

            buffer.Add(one[0]);
        }

        var lines = Encoding.ASCII.GetString(buffer.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var parts = lines[0].Split(' ');
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        return (parts[0], Uri.UnescapeDataString(parts[1]), headers);
    }
}

internal sealed record RecordedRequest(string Method, string Path, string? Range, string? Authorization);
