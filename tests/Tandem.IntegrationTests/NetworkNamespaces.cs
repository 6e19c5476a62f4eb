using System.Diagnostics;
using System.Net;

namespace Tandem.IntegrationTests;

/// <summary>
/// Network namespaces that stand in for separate hosts, made with <c>ip</c> and removed on dispose (root only).
/// Each host namespace has loopback and one veth link into a bridge that lives in a hub namespace of its own,
/// so nothing is added to the namespace the tests run in:
/// <code>
///   tdm-ctx-PID   eth0 10.213.7.1/24 ──veth──┐
///   tdm-gen-PID   eth0 10.213.7.2/24 ──veth──┼── br0 (tdm-hub-PID)
///   tdm-rtr-PID   eth0 10.213.7.3/24 ──veth──┘
/// </code>
/// Deleting a namespace deletes its end of each link; the hub's deletion takes the bridge with it.
/// </summary>
internal sealed class NetworkNamespaces : IAsyncDisposable
{
    private const string Subnet = "10.213.7";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(15);
    private readonly string _hub;
    private readonly List<string> _created = [];
    private readonly Dictionary<string, (string Namespace, IPAddress Address)> _hosts = [];

    private NetworkNamespaces(string suffix) => _hub = $"tdm-hub-{suffix}";

    /// <summary>Why these tests cannot run here, or null when they can.</summary>
    public static async Task<string?> UnavailableAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces exist on Linux only";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "creating network namespaces needs root";
        }

        foreach (var tool in new[] { "ip", "curl" })
        {
            try
            {
                await RunAsync(tool, "-V");
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                return $"'{tool}' is not available: {e.Message}";
            }
        }

        return null;
    }

    /// <summary>Makes one namespace per host name, each at the next address of the subnet, all on one bridge.</summary>
    public static async Task<NetworkNamespaces> CreateAsync(params string[] hosts)
    {
        var suffix = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var net = new NetworkNamespaces(suffix);
        try
        {
            await net.AddNamespaceAsync(net._hub);
            await Ip("-n", net._hub, "link", "set", "lo", "up");
            await Ip("-n", net._hub, "link", "add", "br0", "type", "bridge");
            await Ip("-n", net._hub, "link", "set", "br0", "up");
            for (var i = 0; i < hosts.Length; i++)
            {
                var name = $"tdm-{hosts[i]}-{suffix}";
                var address = IPAddress.Parse($"{Subnet}.{i + 1}");
                await net.AddNamespaceAsync(name);
                await Ip("-n", name, "link", "set", "lo", "up");
                await Ip("-n", net._hub, "link", "add", $"v-{hosts[i]}", "type", "veth", "peer", "name", "eth0", "netns", name);
                await Ip("-n", net._hub, "link", "set", $"v-{hosts[i]}", "master", "br0");
                await Ip("-n", net._hub, "link", "set", $"v-{hosts[i]}", "up");
                await Ip("-n", name, "addr", "add", $"{address}/24", "dev", "eth0");
                await Ip("-n", name, "link", "set", "eth0", "up");
                net._hosts[hosts[i]] = (name, address);
            }

            return net;
        }
        catch
        {
            await net.DisposeAsync();
            throw;
        }
    }

    public IPAddress Address(string host) => _hosts[host].Address;

    public string Namespace(string host) => _hosts[host].Namespace;

    /// <summary>An HTTP client whose requests are made by curl inside the host's namespace.</summary>
    public HttpClient Client(string host) => new(new CurlHandler(Namespace(host))) { Timeout = TimeSpan.FromSeconds(150) };

    /// <summary>Starts <c>dotnet tandem.dll ARGS</c> inside the host's namespace.</summary>
    public TandemProcess Start(string host, string name, string workingDirectory, params string[] arguments) =>
        TandemProcess.StartCommand(name, workingDirectory, ["ip", "netns", "exec", Namespace(host), "dotnet", Path.Combine(AppContext.BaseDirectory, "tandem.dll"), .. arguments]);

    /// <summary>Deletes every namespace this instance made (the links and the bridge go with them).</summary>
    public async ValueTask DisposeAsync()
    {
        var failures = new List<string>();
        foreach (var name in Enumerable.Reverse(_created))
        {
            try
            {
                await Ip("netns", "del", name);
            }
            catch (InvalidOperationException e)
            {
                failures.Add(e.Message);
            }
        }

        _created.Clear();
        if (failures.Count > 0)
        {
            throw new InvalidOperationException("could not delete every test namespace:\n" + string.Join("\n", failures));
        }
    }

    private async Task AddNamespaceAsync(string name)
    {
        await Ip("netns", "add", name);
        _created.Add(name);
    }

    private static Task<string> Ip(params string[] arguments) => RunAsync("ip", arguments);

    /// <summary>Runs a command to its end (bounded); its standard output, or InvalidOperationException with its error.</summary>
    private static async Task<string> RunAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"'{file} {string.Join(' ', arguments)}' did not finish within {CommandTimeout.TotalSeconds} s");
        }

        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"'{file} {string.Join(' ', arguments)}' failed ({process.ExitCode}): {(await error).Trim()}");
    }

    /// <summary>Sends each request with curl in a namespace: the request and its answer cross that namespace's links.</summary>
    private sealed class CurlHandler(string netns) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = Path.GetTempFileName();
            try
            {
                var info = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var argument in (string[])["netns", "exec", netns, "curl", "-sS", "--max-time", "140", "-X", request.Method.Method, "-o", body, "-w", "%{http_code}"])
                {
                    info.ArgumentList.Add(argument);
                }

                if (request.Content is not null)
                {
                    info.ArgumentList.Add("-H");
                    info.ArgumentList.Add($"Content-Type: {request.Content.Headers.ContentType}");
                    info.ArgumentList.Add("--data-binary");
                    info.ArgumentList.Add("@-");
                }

                info.ArgumentList.Add(request.RequestUri!.ToString());
                using var process = Process.Start(info)!;
                if (request.Content is not null)
                {
                    await request.Content.CopyToAsync(process.StandardInput.BaseStream, cancellationToken);
                }

                process.StandardInput.Close();
                var status = process.StandardOutput.ReadToEndAsync(cancellationToken);
                var error = process.StandardError.ReadToEndAsync(cancellationToken);
                try
                {
                    await process.WaitForExitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    throw;
                }

                if (process.ExitCode != 0)
                {
                    throw new HttpRequestException($"curl in {netns} {request.Method} {request.RequestUri} failed ({process.ExitCode}): {(await error).Trim()}");
                }

                return new HttpResponseMessage((HttpStatusCode)int.Parse(await status, System.Globalization.CultureInfo.InvariantCulture))
                {
                    RequestMessage = request,
                    Content = new ByteArrayContent(await File.ReadAllBytesAsync(body, cancellationToken)),
                };
            }
            finally
            {
                File.Delete(body);
            }
        }
    }
}
