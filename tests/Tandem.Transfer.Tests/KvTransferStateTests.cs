using Tandem.Engine.KvCache;

namespace Tandem.Transfer.Tests;

public sealed class KvTransferStateTests
{
    private static readonly KvTransferState State = new(
        "ctx-host.example", 41234, "cmpl-ä-42", new KvCacheLayout("sha256:abc", 22, 4, 64, 32), KvTransferState.NewSecret());

    [Fact]
    public void Encode_then_decode_gives_every_field_back()
    {
        Assert.True(KvTransferState.TryDecode(State.Encode(), out var decoded, out var error), error);

        Assert.Equal(State.Host, decoded.Host);
        Assert.Equal(State.Port, decoded.Port);
        Assert.Equal(State.RequestId, decoded.RequestId);
        Assert.Equal(State.Layout, decoded.Layout);
        Assert.Equal(State.Secret.ToArray(), decoded.Secret.ToArray());
    }

    [Fact]
    public void Secrets_are_fresh_each_time() =>
        Assert.NotEqual(KvTransferState.NewSecret().ToArray(), KvTransferState.NewSecret().ToArray());

    [Theory]
    [InlineData(null, "empty")]
    [InlineData("", "empty")]
    [InlineData("not base64!", "not valid base64")]
    public void Text_that_is_not_a_state_is_rejected(string? encoded, string expected)
    {
        Assert.False(KvTransferState.TryDecode(encoded, out var state, out var error));
        Assert.Null(state);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_version_is_rejected_naming_it()
    {
        var bytes = Convert.FromBase64String(State.Encode());
        bytes[0] = 9;

        Assert.False(KvTransferState.TryDecode(Convert.ToBase64String(bytes), out _, out var error));
        Assert.Contains("version 9 is not supported", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_truncation_is_rejected()
    {
        var bytes = Convert.FromBase64String(State.Encode());
        for (var length = 0; length < bytes.Length; length++)
        {
            var cut = Convert.ToBase64String(bytes, 0, length);
            Assert.False(KvTransferState.TryDecode(cut, out _, out var error), $"{length} bytes decoded");
            Assert.Contains(length == 0 ? "empty" : "truncated", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Trailing_bytes_are_rejected()
    {
        var bytes = Convert.FromBase64String(State.Encode());

        Assert.False(KvTransferState.TryDecode(Convert.ToBase64String([.. bytes, 0]), out _, out var error));
        Assert.Contains("1 unexpected bytes after the secret", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_layout_with_a_zero_field_is_rejected()
    {
        var zeroHeads = State with { Layout = State.Layout with { KvHeads = 0 } };

        Assert.False(KvTransferState.TryDecode(zeroHeads.Encode(), out _, out var error));
        Assert.Contains("KV heads must be positive", error, StringComparison.Ordinal);
    }
}
