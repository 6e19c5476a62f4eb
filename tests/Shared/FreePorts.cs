using System.Net;
using System.Net.Sockets;

namespace Tandem.Testing;

/// <summary>
/// Ports for servers that must be told theirs before they start (a config file lists it, or Kestrel's
/// <c>localhost</c> that cannot take port 0). A port the OS hands out for port 0 comes from the ephemeral
/// range, where any process's next listener or outgoing connection may take it before our server binds it
/// (a CI run lost a worker that way); these come from below that range, at random, never twice in one
/// test process, and free on every address when handed out.
/// </summary>
internal static class FreePorts
{
    private static readonly HashSet<int> Given = [];

    private static readonly Lazy<(int Low, int High)> Candidates = new(PickRange);

    public static int Next()
    {
        var (low, high) = Candidates.Value;
        for (var attempt = 0; attempt < 2000; attempt++)
        {
            var port = Random.Shared.Next(low, high);
            lock (Given)
            {
                if (!Given.Add(port))
                {
                    continue;
                }
            }

            if (Bindable(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no free TCP port found in {low}..{high - 1} after 2000 tries");
    }

    /// <summary>Ports outside the kernel's ephemeral range (ip_local_port_range), at least 1000 of them.</summary>
    private static (int Low, int High) PickRange()
    {
        var (ephemeralLow, ephemeralHigh) = (32768, 60999); // Linux's default
        var path = "/proc/sys/net/ipv4/ip_local_port_range";
        var parts = File.Exists(path) ? File.ReadAllText(path).Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries) : [];
        if (parts.Length == 2 && int.TryParse(parts[0], out var low) && int.TryParse(parts[1], out var high))
        {
            (ephemeralLow, ephemeralHigh) = (low, high);
        }

        if (ephemeralLow - 10_000 >= 1000)
        {
            return (10_000, ephemeralLow);
        }

        return 65_535 - ephemeralHigh >= 1000 ? (ephemeralHigh + 1, 65_536) : (1024, 65_536);
    }

    private static bool Bindable(int port)
    {
        try
        {
            using var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            v4.Bind(new IPEndPoint(IPAddress.Any, port));
        }
        catch (SocketException)
        {
            return false;
        }

        if (!Socket.OSSupportsIPv6)
        {
            return true;
        }

        try
        {
            using var v6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = false };
            v6.Bind(new IPEndPoint(IPAddress.IPv6Loopback, port));
            return true;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode != SocketError.AddressAlreadyInUse; // no ::1 here is no conflict
        }
    }
}
