using System.Net;
using Microsoft.Extensions.Logging.Abstractions;

namespace Tandem.Transfer.Tests;

/// <summary>Which host goes into encoded_opaque_state: bound, advertised, or chosen for a wildcard listener.</summary>
public sealed class KvTransferServerAddressTests
{
    private static readonly IPAddress[] Interfaces = [IPAddress.Parse("fe80::1"), IPAddress.Parse("2001:db8::7"), IPAddress.Parse("169.254.3.4"), IPAddress.Parse("10.213.0.2")];

    private readonly FakeKvSource _source = new(TransportPair.Layout);

    [Theory]
    [InlineData("0.0.0.0", true)]
    [InlineData("::", true)]
    [InlineData("*", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.213.0.2", false)]
    [InlineData("localhost", false)]
    public void Wildcards_are_recognized(string host, bool wildcard) => Assert.Equal(wildcard, KvTransferServerAddress.IsWildcard(host));

    [Theory]
    [InlineData("0.0.0.0", "10.213.0.9", "10.213.0.9")]
    [InlineData("::", "::ffff:10.213.0.9", "10.213.0.9")]
    [InlineData("::", "2001:db8::9", "2001:db8::9")]
    [InlineData("0.0.0.0", "2001:db8::9", "10.213.0.2")]
    [InlineData("0.0.0.0", "127.0.0.1", "10.213.0.2")]
    [InlineData("::", "::1", "10.213.0.2")]
    [InlineData("::", "fe80::9", "10.213.0.2")]
    [InlineData("0.0.0.0", null, "10.213.0.2")]
    public void A_wildcard_advertises_the_arrival_address_when_a_peer_can_use_it_else_an_interface(string bound, string? arrivedOn, string expected) =>
        Assert.Equal(expected, KvTransferServerAddress.ForWildcard(IPAddress.Parse(bound), arrivedOn is null ? null : IPAddress.Parse(arrivedOn), Interfaces));

    [Fact]
    public void A_wildcard_takes_ipv6_only_when_there_is_no_ipv4_and_loopback_when_there_is_nothing()
    {
        Assert.Equal("2001:db8::7", KvTransferServerAddress.ForWildcard(IPAddress.IPv6Any, null, Interfaces[..3]));
        Assert.Equal("127.0.0.1", KvTransferServerAddress.ForWildcard(IPAddress.Any, null, Interfaces[..3]));
        Assert.Equal("127.0.0.1", KvTransferServerAddress.ForWildcard(IPAddress.Any, IPAddress.Loopback, []));
    }

    [Theory]
    [InlineData("127.0.0.1", null, "127.0.0.1")]
    [InlineData("127.0.0.1", "ctx.example", "ctx.example")]
    [InlineData("0.0.0.0", "ctx.example", "ctx.example")]
    public async Task A_bound_or_advertised_host_is_written_whatever_the_request_arrived_on(string bind, string? advertised, string expected)
    {
        await using var server = Start(bind, advertised);
        Assert.Equal(expected, server.AdvertisedHost);
        Assert.Equal(expected, server.Register("ctx-1", IPAddress.Parse("10.213.0.9")).Host);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("*")]
    public async Task A_wildcard_listener_writes_the_arrival_address_and_is_pullable_on_loopback(string bind)
    {
        await using var server = Start(bind, null);
        Assert.Equal("10.213.0.9", server.Register("ctx-0", IPAddress.Parse("::ffff:10.213.0.9")).Host);

        var held = _source.Hold("ctx-1", tokens: 5);
        var state = server.Register("ctx-1", IPAddress.Loopback) with { Host = "127.0.0.1" };
        var client = new KvTransferClient(new KvTransferClientOptions(), TimeProvider.System, NullLogger.Instance);
        var result = await client.PullAsync(state, TransportPair.Layout, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(held.Data, result.Snapshot.Data);
    }

    private KvTransferServer Start(string bind, string? advertised)
    {
        var server = new KvTransferServer(_source, new KvTransferServerOptions { Host = bind, AdvertisedHost = advertised }, TimeProvider.System, NullLogger.Instance);
        server.Start();
        return server;
    }
}
