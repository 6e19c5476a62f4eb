using Tandem.Router.Configuration;
using Tandem.Router.Routing;
using Tandem.Router.State;

namespace Tandem.Router.Tests.Routing;

public sealed class PolicyTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    private static UpstreamServer[] Servers(int count) => Enumerable.Range(0, count).Select(i => new UpstreamServer(new Uri($"http://127.0.0.1:{8001 + i}/"))).ToArray();

    [Fact]
    public void RoundRobinTakesTheServersInTurn()
    {
        var servers = Servers(3);
        var section = new ServerSection("context", servers, RoutingPolicies.Create(new RoutingPolicyConfig()));
        var picks = Enumerable.Range(0, 6).Select(_ => section.Pick(1, Now, new HashSet<UpstreamServer>())!).ToList();
        Assert.Equal([servers[0], servers[1], servers[2], servers[0], servers[1], servers[2]], picks);
    }

    [Fact]
    public void LoadBalancingPrefersTheFewestActiveRequests()
    {
        var servers = Servers(3);
        var section = new ServerSection("generation", servers, RoutingPolicies.Create(new RoutingPolicyConfig { Type = "load_balancing" }));
        using var a = servers[0].Acquire(1);
        using var b = servers[0].Acquire(1);
        using var c = servers[2].Acquire(1);
        Assert.Same(servers[1], section.Pick(1, Now, new HashSet<UpstreamServer>()));
        using var d = servers[1].Acquire(1);
        using var e = servers[1].Acquire(1);
        Assert.Same(servers[2], section.Pick(1, Now, new HashSet<UpstreamServer>()));
    }

    [Fact]
    public void LoadBalancingWithTokensPrefersTheFewestActivePromptTokens()
    {
        var servers = Servers(2);
        var section = new ServerSection("context", servers, RoutingPolicies.Create(new RoutingPolicyConfig { Type = "load_balancing", UseTokens = true }));
        using var big = servers[0].Acquire(1000);
        using var small1 = servers[1].Acquire(10);
        using var small2 = servers[1].Acquire(10);
        Assert.Same(servers[1], section.Pick(5, Now, new HashSet<UpstreamServer>()));
        big.Dispose();
        Assert.Equal((0, 0), (servers[0].ActiveRequests, servers[0].ActiveTokens));
        Assert.Same(servers[0], section.Pick(5, Now, new HashSet<UpstreamServer>()));
    }

    [Fact]
    public void IdleLoadBalancingSpreadsTiesRoundRobin()
    {
        var servers = Servers(2);
        var section = new ServerSection("generation", servers, RoutingPolicies.Create(new RoutingPolicyConfig { Type = "load_balancing" }));
        var picks = Enumerable.Range(0, 4).Select(_ => section.Pick(1, Now, new HashSet<UpstreamServer>())!).ToList();
        Assert.Equal(2, picks.Distinct().Count());
    }

    [Fact]
    public void FailedServersAreSkippedUntilTheirCooldownEnds()
    {
        var servers = Servers(2);
        var section = new ServerSection("context", servers, RoutingPolicies.Create(new RoutingPolicyConfig()));
        servers[0].MarkUnavailable(Now.AddSeconds(5));
        Assert.All(Enumerable.Range(0, 4), _ => Assert.Same(servers[1], section.Pick(1, Now, new HashSet<UpstreamServer>())));
        Assert.Contains(servers[0], Enumerable.Range(0, 2).Select(_ => section.Pick(1, Now.AddSeconds(6), new HashSet<UpstreamServer>())));
    }

    [Fact]
    public void ExcludedAndAvoidedServers()
    {
        var servers = Servers(2);
        var section = new ServerSection("generation", servers, RoutingPolicies.Create(new RoutingPolicyConfig()));
        Assert.Same(servers[1], section.Pick(1, Now, new HashSet<UpstreamServer> { servers[0] }));
        Assert.Null(section.Pick(1, Now, new HashSet<UpstreamServer>(servers)));
        Assert.All(Enumerable.Range(0, 4), _ => Assert.Same(servers[1], section.Pick(1, Now, new HashSet<UpstreamServer>(), avoid: servers[0])));
        Assert.Same(servers[0], section.Pick(1, Now, new HashSet<UpstreamServer> { servers[1] }, avoid: servers[0]));
    }

    [Fact]
    public void UnknownPolicyNameIsRefused() =>
        Assert.Throws<ArgumentException>(() => RoutingPolicies.Create(new RoutingPolicyConfig { Type = "random" }));
}
