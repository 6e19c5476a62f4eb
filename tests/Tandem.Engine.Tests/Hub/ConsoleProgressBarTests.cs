using Microsoft.Extensions.Time.Testing;
using Tandem.Engine.Hub;

namespace Tandem.Engine.Tests.Hub;

public class ConsoleProgressBarTests
{
    [Fact]
    public void Draws_a_throttled_bar_and_ends_each_file_on_its_own_line()
    {
        var time = new FakeTimeProvider();
        var output = new StringWriter();
        var bar = new ConsoleProgressBar(output, enabled: true, time, TimeSpan.FromMilliseconds(100));
        bar.Report(new DownloadProgress("model.safetensors", 0, 2 << 20));
        bar.Report(new DownloadProgress("model.safetensors", 1 << 20, 2 << 20)); // within the interval: skipped
        time.Advance(TimeSpan.FromMilliseconds(150));
        bar.Report(new DownloadProgress("model.safetensors", 1 << 20, 2 << 20));
        bar.Report(new DownloadProgress("model.safetensors", 2 << 20, 2 << 20)); // completion always drawn
        bar.Report(new DownloadProgress("config.json", 10, null));

        var text = output.ToString();
        Assert.Equal(3, text.Split('\r').Count(s => s.StartsWith("model.safetensors", StringComparison.Ordinal)));
        Assert.Contains("[###############---------------]  1.0 MiB / 2.0 MiB   50%", text, StringComparison.Ordinal);
        Assert.Contains("2.0 MiB / 2.0 MiB  100%" + Environment.NewLine + "\rconfig.json  10 B", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Draws_nothing_when_disabled()
    {
        var output = new StringWriter();
        new ConsoleProgressBar(output, enabled: false, new FakeTimeProvider()).Report(new DownloadProgress("f", 1, 2));
        Assert.Empty(output.ToString());
    }
}
