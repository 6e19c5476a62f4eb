using Tandem.Router.Launch;

namespace Tandem.Router.Tests.Launch;

public sealed class RestartBackoffTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(5, 16)]
    [InlineData(6, 30)]
    [InlineData(100, 30)]
    public void The_delay_doubles_up_to_the_maximum(int restart, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), RestartBackoff.Delay(restart, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)));
}
