using Tandem.Server.Configuration;

namespace Tandem.Server.Tests.Configuration;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("536870912", 536_870_912L)]
    [InlineData("1", 1L)]
    [InlineData("100B", 100L)]
    [InlineData("512MB", 512_000_000L)]
    [InlineData("512mb", 512_000_000L)]
    [InlineData("512 MB", 512_000_000L)]
    [InlineData("4K", 4_000L)]
    [InlineData("1.5G", 1_500_000_000L)]
    [InlineData("2GB", 2_000_000_000L)]
    [InlineData("1T", 1_000_000_000_000L)]
    [InlineData("8KiB", 8_192L)]
    [InlineData("512MiB", 536_870_912L)]
    [InlineData("2GiB", 2_147_483_648L)]
    [InlineData("2gi", 2_147_483_648L)]
    [InlineData("1.5GiB", 1_610_612_736L)]
    [InlineData("1TiB", 1_099_511_627_776L)]
    [InlineData("1.9", 1L)]
    public void Parses(string text, long expected)
    {
        Assert.True(ByteSize.TryParse(text, out var bytes, out var error), error);
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("12XB", "unknown unit 'XB'")]
    [InlineData("GB", "expected a size")]
    [InlineData("", "expected a size")]
    [InlineData("1.2.3G", "expected a size")]
    [InlineData("0", "must be positive")]
    [InlineData("-5MB", "must be positive")]
    [InlineData("0.1", "at least one byte")]
    [InlineData("99999999999TiB", "too large")]
    public void RefusesWithReason(string text, string reason)
    {
        Assert.False(ByteSize.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
