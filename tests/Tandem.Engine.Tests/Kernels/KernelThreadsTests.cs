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

    [Fact]
    public async Task A_call_does_not_wait_for_a_worker_that_has_not_joined_it()
    {
        using var threads = new KernelThreads(2);
        using var stalled = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        threads.WorkerWaking = () =>
        {
            stalled.Set();
            release.Wait(TimeSpan.FromSeconds(60));
        };

        // The worker wakes for the first call and stalls before joining: both calls finish on the caller alone.
        foreach (var round in (int[])[1, 2])
        {
            var callerThread = 0;
            var hits = new int[1000];
            var call = Task.Run(() =>
            {
                callerThread = Environment.CurrentManagedThreadId;
                var onOthers = 0;
                threads.For(hits.Length, 1, (start, end) =>
                {
                    if (Environment.CurrentManagedThreadId != callerThread)
                    {
                        Interlocked.Increment(ref onOthers);
                    }

                    for (var i = start; i < end; i++)
                    {
                        Interlocked.Increment(ref hits[i]);
                    }
                });
                return onOthers;
            }, TestContext.Current.CancellationToken);
            // A TimeoutException here: the call waited for the stalled worker.
            Assert.Equal(0, await call.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
            Assert.All(hits, h => Assert.Equal(1, h));
            Assert.True(stalled.Wait(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken), "the worker never woke");
        }

        // Released, the worker finds its job closed, skips it, and takes part in later calls again.
        threads.WorkerWaking = null;
        release.Set();
        for (var round = 0; round < 50; round++)
        {
            var hits = new int[1000];
            threads.For(hits.Length, 1, (start, end) =>
            {
                for (var i = start; i < end; i++)
                {
                    Interlocked.Increment(ref hits[i]);
                }
            });
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }
}
