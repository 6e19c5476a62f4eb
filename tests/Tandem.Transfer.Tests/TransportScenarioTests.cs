using Microsoft.Extensions.Time.Testing;

namespace Tandem.Transfer.Tests;

/// <summary>Every outcome of a pull, over TCP on loopback and over the in-process fake: the two must agree.</summary>
public sealed class TransportScenarioTests
{
    public static readonly TheoryData<string> Transports = ["tcp", "in-process"];

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_pull_is_byte_identical_and_releases_on_ack_exactly_once(string kind)
    {
        await using var pair = TransportPair.Create(kind);
        var held = pair.Source.Hold("ctx-1", tokens: 37);
        var state = pair.Sender.Register("ctx-1");

        var result = await pair.PullAsync(state);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(held.TokenCount, result.Snapshot.TokenCount);
        Assert.Equal(held.Layout, result.Snapshot.Layout);
        Assert.Equal(held.Data, result.Snapshot.Data);
        await pair.Source.Released("ctx-1").WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        var again = await pair.PullAsync(state);
        Assert.Equal(KvTransferError.NotFound, again.Error);
        await pair.SenderSettledAsync(2);
        Assert.Equal(1, pair.Source.Releases("ctx-1"));
        Assert.Equal(1, pair.Sender.Stats.Succeeded);
        Assert.Equal(held.Data.LongLength, pair.Sender.Stats.SucceededBytes);
        Assert.Equal(1, pair.Receiver.Stats.Succeeded);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_bad_secret_is_refused_and_releases_nothing(string kind)
    {
        await using var pair = TransportPair.Create(kind);
        pair.Source.Hold("ctx-1", tokens: 8);
        var state = pair.Sender.Register("ctx-1");

        var result = await pair.PullAsync(state with { Secret = KvTransferState.NewSecret() });

        Assert.Equal(KvTransferError.Refused, result.Error);
        Assert.Contains("secret", result.Reason, StringComparison.Ordinal);
        await pair.SenderSettledAsync(1);
        Assert.Equal(0, pair.Source.Releases("ctx-1"));
        Assert.Equal(1, pair.Sender.Stats.FailuresOf(KvTransferError.Refused));

        Assert.True((await pair.PullAsync(state)).Succeeded, "the real receiver can still pull");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_unknown_request_is_not_found(string kind)
    {
        await using var pair = TransportPair.Create(kind);
        pair.Source.Hold("ctx-1", tokens: 8);
        var state = pair.Sender.Register("ctx-1");

        var result = await pair.PullAsync(state with { RequestId = "ctx-unknown" });

        Assert.Equal(KvTransferError.NotFound, result.Error);
        Assert.Contains("ctx-unknown", result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Blocks_the_engine_no_longer_holds_are_not_found(string kind)
    {
        await using var pair = TransportPair.Create(kind);
        var state = pair.Sender.Register("ctx-gone");

        var result = await pair.PullAsync(state);

        Assert.Equal(KvTransferError.NotFound, result.Error);
        Assert.Contains("no longer held", result.Reason, StringComparison.Ordinal);
        Assert.Equal(0, pair.Source.Releases("ctx-gone"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_expired_lease_is_not_found(string kind)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var pair = TransportPair.Create(kind, time, lease: TimeSpan.FromSeconds(60));
        pair.Source.Hold("ctx-1", tokens: 8);
        var state = pair.Sender.Register("ctx-1");
        time.Advance(TimeSpan.FromSeconds(61));

        var result = await pair.PullAsync(state);

        Assert.Equal(KvTransferError.NotFound, result.Error);
        Assert.Contains("lease", result.Reason, StringComparison.Ordinal);
        Assert.Equal(0, pair.Source.Releases("ctx-1"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_local_layout_that_differs_fails_naming_both(string kind)
    {
        await using var pair = TransportPair.Create(kind);
        pair.Source.Hold("ctx-1", tokens: 8);
        var state = pair.Sender.Register("ctx-1");
        var local = TransportPair.Layout with { KvHeads = 4 };

        var result = await pair.PullAsync(state, local);

        Assert.Equal(KvTransferError.LayoutMismatch, result.Error);
        Assert.Contains(TransportPair.Layout.ToString(), result.Reason, StringComparison.Ordinal);
        Assert.Contains(local.ToString(), result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_sender_layout_that_differs_from_the_state_fails_before_any_data(string kind)
    {
        await using var pair = TransportPair.Create(kind);
        pair.Source.Hold("ctx-1", tokens: 8);
        var local = TransportPair.Layout with { ModelFingerprint = "other-model" };
        var state = pair.Sender.Register("ctx-1") with { Layout = local };

        var result = await pair.PullAsync(state, local);

        Assert.Equal(KvTransferError.LayoutMismatch, result.Error);
        Assert.Contains(TransportPair.Layout.ToString(), result.Reason, StringComparison.Ordinal);
        Assert.Contains(local.ToString(), result.Reason, StringComparison.Ordinal);
        await pair.SenderSettledAsync(1);
        Assert.Equal(0, pair.Sender.Stats.FailedBytes);
        Assert.Equal(0, pair.Source.Releases("ctx-1"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_stopped_sender_is_unreachable(string kind)
    {
        await using var pair = TransportPair.Create(kind);
        pair.Source.Hold("ctx-1", tokens: 8);
        var state = pair.Sender.Register("ctx-1");
        await pair.StopSenderAsync();

        var result = await pair.PullAsync(state);

        Assert.Equal(KvTransferError.Unreachable, result.Error);
        Assert.Contains($"{state.Host}:{state.Port}", result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_cut_connection_is_broken_releases_nothing_and_can_be_pulled_again(string kind)
    {
        await using var pair = TransportPair.Create(kind);
        var held = pair.Source.Hold("ctx-1", tokens: 64);
        var state = pair.Sender.Register("ctx-1");

        var cut = await pair.PullCutAsync(state);

        Assert.Equal(KvTransferError.Broken, cut.Error);
        await pair.SenderSettledAsync(1);
        Assert.Equal(1, pair.Sender.Stats.Failed);
        Assert.Equal(0, pair.Source.Releases("ctx-1"));

        var retry = await pair.PullAsync(state);
        Assert.True(retry.Succeeded, retry.ToString());
        Assert.Equal(held.Data, retry.Snapshot.Data);
        await pair.Source.Released("ctx-1").WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(1, pair.Source.Releases("ctx-1"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Eight_pulls_at_once_each_get_their_own_blocks(string kind)
    {
        await using var pair = TransportPair.Create(kind);
        var held = Enumerable.Range(0, 8).Select(i => pair.Source.Hold($"ctx-{i}", tokens: 100 + i, seed: i)).ToArray();
        var states = Enumerable.Range(0, 8).Select(i => pair.Sender.Register($"ctx-{i}")).ToArray();

        var results = await Task.WhenAll(states.Select(s => Task.Run(() => pair.PullAsync(s), TestContext.Current.CancellationToken)));

        for (var i = 0; i < 8; i++)
        {
            Assert.True(results[i].Succeeded, results[i].ToString());
            Assert.Equal(held[i].Data, results[i].Snapshot!.Data);
            await pair.Source.Released($"ctx-{i}").WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
            Assert.Equal(1, pair.Source.Releases($"ctx-{i}"));
        }

        await pair.SenderSettledAsync(8);
        Assert.Equal(8, pair.Sender.Stats.Succeeded);
        Assert.Equal(held.Sum(h => h.Data.LongLength), pair.Receiver.Stats.SucceededBytes);
    }

    [Fact]
    public async Task The_fake_and_tcp_give_the_same_reasons()
    {
        await using var tcp = TransportPair.Create("tcp");
        await using var fake = TransportPair.Create("in-process");
        var reasons = new List<(KvTransferError, string)>[2];
        var pairs = new[] { tcp, fake };
        for (var i = 0; i < 2; i++)
        {
            pairs[i].Source.Hold("ctx-1", tokens: 8);
            var state = pairs[i].Sender.Register("ctx-1");
            reasons[i] = [];
            foreach (var attempt in new[] { state with { Secret = KvTransferState.NewSecret() }, state with { RequestId = "ctx-2" } })
            {
                var result = await pairs[i].PullAsync(attempt);
                reasons[i].Add((result.Error, result.Reason!));
            }

            var local = TransportPair.Layout with { HeadDim = 16 };
            var mismatch = await pairs[i].PullAsync(state with { Layout = local }, local);
            reasons[i].Add((mismatch.Error, mismatch.Reason!));
        }

        Assert.Equal(reasons[0], reasons[1]);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_release_frees_the_blocks_once_and_a_later_pull_finds_nothing(string kind)
    {
        await using var pair = TransportPair.Create(kind);
        pair.Source.Hold("ctx-1", tokens: 8);
        var state = pair.Sender.Register("ctx-1");

        var released = await pair.Sender.ReleaseAsync("ctx-1", state.Secret);
        var again = await pair.Sender.ReleaseAsync("ctx-1", state.Secret);
        var pull = await pair.PullAsync(state);

        Assert.Equal(KvReleaseOutcome.Released, released.Outcome);
        Assert.Equal(KvReleaseOutcome.NotHeld, again.Outcome);
        Assert.Contains("ctx-1", again.Reason, StringComparison.Ordinal);
        Assert.Equal(KvTransferError.NotFound, pull.Error);
        Assert.Equal(1, pair.Source.Releases("ctx-1"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_release_with_a_wrong_secret_is_refused_and_the_pull_still_works(string kind)
    {
        await using var pair = TransportPair.Create(kind);
        pair.Source.Hold("ctx-1", tokens: 8);
        var state = pair.Sender.Register("ctx-1");

        var refused = await pair.Sender.ReleaseAsync("ctx-1", KvTransferState.NewSecret());

        Assert.Equal(KvReleaseOutcome.Refused, refused.Outcome);
        Assert.Contains("secret", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(0, pair.Source.Releases("ctx-1"));
        Assert.True((await pair.PullAsync(state)).Succeeded, "the real receiver can still pull");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_release_after_the_pull_or_the_lease_changes_nothing(string kind)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var pair = TransportPair.Create(kind, clock, TimeSpan.FromSeconds(30));
        pair.Source.Hold("pulled", tokens: 8);
        pair.Source.Hold("expired", tokens: 8);
        var pulled = pair.Sender.Register("pulled");
        var expired = pair.Sender.Register("expired");
        Assert.True((await pair.PullAsync(pulled)).Succeeded);
        await pair.Source.Released("pulled").WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromSeconds(31));

        Assert.Equal(KvReleaseOutcome.NotHeld, (await pair.Sender.ReleaseAsync("pulled", pulled.Secret)).Outcome);
        Assert.Equal(KvReleaseOutcome.NotHeld, (await pair.Sender.ReleaseAsync("expired", expired.Secret)).Outcome);
        Assert.Equal(KvReleaseOutcome.NotHeld, (await pair.Sender.ReleaseAsync("never-registered", pulled.Secret)).Outcome);
        Assert.Equal(1, pair.Source.Releases("pulled"));
        Assert.Equal(0, pair.Source.Releases("expired"));
    }
}
