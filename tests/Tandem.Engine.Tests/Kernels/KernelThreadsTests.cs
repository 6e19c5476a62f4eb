using Tandem.Engine.Kernels;

namespace Tandem.Engine.Tests.Kernels;

public class KernelThreadsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void For_covers_every_index_once(int count)
    {
        using var threads = new KernelThreads(count);
        foreach (var n in (int[])[0, 1, 3, 4, 5, 63, 64, 1000])
        {
            var hits = new int[n];
            threads.For(n, 4, (start, end) =>
            {
                Assert.True(start % 4 == 0);
                for (var i = start; i < end; i++)
                {
                    Interlocked.Increment(ref hits[i]);
                }
            });
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void A_failing_range_fails_the_call_and_the_threads_keep_working()
    {
        using var threads = new KernelThreads(2);
        Assert.Throws<InvalidOperationException>(() => threads.For(100, 1, (start, _) =>
        {
            if (start > 0)
            {
                throw new InvalidOperationException("worker range");
            }
        }));

        var total = 0;
        threads.For(100, 1, (start, end) => Interlocked.Add(ref total, end - start));
        Assert.Equal(100, total);
    }
}
