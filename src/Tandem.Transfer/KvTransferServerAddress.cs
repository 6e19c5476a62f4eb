using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Tandem.Transfer;

/// <summary>
/// The host a KV transfer listener writes into <c>encoded_opaque_state</c>, so that a generation server on
/// another host can reach it. In order:
/// <code>
/// 1. an explicit advertised host (cache_transceiver_config.host)        always
/// 2. the bound address, when it is not a wildcard                        127.0.0.1, 10.0.0.5, a host name
/// 3. wildcard (0.0.0.0, ::): the local address the context-only request  the router reached this server there,
///    arrived on, unless it is loopback, link-local or of a family the    so the generation server most likely
///    listener does not accept                                            can too
/// 4. wildcard: the first address of an up, non-loopback interface        IPv4 before IPv6, no link-local
/// 5. wildcard: loopback                                                  a machine without a network
/// </code>
/// </summary>
public static class KvTransferServerAddress
{
    /// <summary>True for 0.0.0.0, :: and <c>*</c>.</summary>
    public static bool IsWildcard(string host) =>
        host is "*" || (IPAddress.TryParse(host, out var address) && (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)));

    /// <summary>
    /// The host for one transfer state of a listener bound to <paramref name="bound"/> (rules 3–5 when it is a
    /// wildcard); <paramref name="arrivedOn"/> is the local address of the request's connection, when known.
    /// </summary>
    public static string ForWildcard(IPAddress bound, IPAddress? arrivedOn, IEnumerable<IPAddress> interfaceAddresses)
    {
        ArgumentNullException.ThrowIfNull(bound);
        ArgumentNullException.ThrowIfNull(interfaceAddresses);
        if (arrivedOn is not null && Usable(bound, Normalize(arrivedOn)) is { } arrived)
        {
            return arrived.ToString();
        }

        var candidates = interfaceAddresses.Select(Normalize).Where(a => Usable(bound, a) is not null).ToList();
        var chosen = candidates.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? candidates.FirstOrDefault();
        return (chosen ?? IPAddress.Loopback).ToString();
    }

    /// <summary>The unicast addresses of this machine's (this network namespace's) interfaces that are up, loopback excluded.</summary>
    public static IReadOnlyList<IPAddress> InterfaceAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses.Select(u => u.Address))
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>The address when a peer elsewhere can use it to reach a listener bound to <paramref name="bound"/>; null otherwise.</summary>
    private static IPAddress? Usable(IPAddress bound, IPAddress address)
    {
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.IsIPv6LinkLocal || (address.AddressFamily == AddressFamily.InterNetwork && address.GetAddressBytes() is [169, 254, ..]))
        {
            return null;
        }

        // 0.0.0.0 takes IPv4 only; :: takes both (the listener is dual-mode).
        return bound.AddressFamily == AddressFamily.InterNetwork && address.AddressFamily != AddressFamily.InterNetwork ? null : address;
    }
}
