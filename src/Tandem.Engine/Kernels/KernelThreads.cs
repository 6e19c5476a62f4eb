using System.Runtime.ExceptionServices;

namespace Tandem.Engine.Kernels;

/// <summary>
/// The engine's compute threads: the calling thread plus <c>Count - 1</c> dedicated workers.
/// <see cref="For"/> splits <c>[0, n)</c> into up to <see cref="ChunksPerThread"/> contiguous
/// chunks per thread, which the threads claim one at a time, so a thread slowed by the host (a
/// busy sibling hyperthread, a preempted vCPU) takes fewer chunks instead of holding the others
/// up at the end of a static split. Which thread runs a chunk never changes a result: callers
/// split work that is independent per index (output rows, attention units). Workers spin briefly
/// after each job (decode steps come back to back), then sleep. One <see cref="For"/> at a time:
/// the engine thread owns this object.
/// <para>
/// The caller never waits for a worker that has not joined the job: once it has claimed the last
/// chunk it closes the job and waits only for the workers inside it. Where several servers share
/// a machine's cores (<c>tandem up</c> runs three on one host), a worker still asleep or
/// descheduled would otherwise hold every call up for a scheduler time slice; a tiny model makes
/// ~100 calls a step, and steps took 20–70 ms instead of 2–5.
/// </para>
/// <code>
///   caller:  fields → open = 1 → wake → run chunks → open = 0 (exchange) → wait active = 0
///   worker:  woken → active++ (interlocked) → open = 1 ? run chunks : skip → active--
/// </code>
/// Both sides write one variable with a full fence and then read the other, so a worker is either
/// counted before the caller reads <c>active</c> or sees the job closed.
/// </summary>
public sealed class KernelThreads : IDisposable
{
    private const int SpinIterations = 20_000;

    /// <summary>Chunks per thread a <see cref="For"/> is split into (fewer when there are fewer aligned units).</summary>
    private const int ChunksPerThread = 8;

    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private int _generation;
    private int _open;
    private int _active;
    private bool _disposed;

    private Action<int, int>? _body;
    private int _n;
    private int _align;
    private int _chunks;
    private int _nextChunk;
    private ExceptionDispatchInfo? _failure;

    public KernelThreads()
        : this(Environment.ProcessorCount)
    {
    }

    public KernelThreads(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
        _workers = new Thread[count - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop)
            {
                IsBackground = true,
                Name = $"tandem-kernel-{i + 1}",
            };
            _workers[i].Start();
        }
    }

    public int Count { get; }

    /// <summary>Test seam: runs on a worker after it wakes for a job and before it joins it (to stall a worker on purpose).</summary>
    internal Action? WorkerWaking { get; set; }

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over <c>[0, n)</c> split into contiguous chunks
    /// whose boundaries are multiples of <paramref name="align"/> (except n), on all threads;
    /// returns when every chunk is done. Empty chunks are skipped. Exceptions are rethrown here.
    /// </summary>
    public void For(int n, int align, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfLessThan(align, 1);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (n == 0)
        {
            return;
        }

        if (Count == 1 || n <= align)
        {
            body(0, n);
            return;
        }

        _body = body;
        _n = n;
        _align = align;
        _chunks = (int)Math.Min(((long)n + align - 1) / align, (long)Count * ChunksPerThread);
        _nextChunk = 0;
        _failure = null;
        Volatile.Write(ref _open, 1);
        lock (_gate)
        {
            _generation++;
            Monitor.PulseAll(_gate);
        }

        try
        {
            RunChunks();
        }
        finally
        {
            // Every chunk is claimed: workers that have not joined yet skip this job.
            Interlocked.Exchange(ref _open, 0);
            var spin = default(SpinWait);
            while (Volatile.Read(ref _active) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            _body = null;
        }

        _failure?.Throw();
    }

    /// <summary>The range of chunk <paramref name="part"/> of <paramref name="parts"/>.</summary>
    public static (int Start, int End) Partition(int n, int align, int parts, int part)
    {
        var chunks = (n + align - 1) / align;
        var startChunk = (int)((long)chunks * part / parts);
        var endChunk = (int)((long)chunks * (part + 1) / parts);
        return (Math.Min(n, startChunk * align), Math.Min(n, endChunk * align));
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Monitor.PulseAll(_gate);
        }

        foreach (var worker in _workers)
        {
            worker.Join();
        }
    }

    private void RunChunks()
    {
        int chunk;
        while ((chunk = Interlocked.Increment(ref _nextChunk) - 1) < _chunks)
        {
            var (start, end) = Partition(_n, _align, _chunks, chunk);
            if (start < end)
            {
                _body!(start, end);
            }
        }
    }

    private void WorkerLoop()
    {
        var seen = 0;
        while (true)
        {
            for (var i = 0; i < SpinIterations && Volatile.Read(ref _generation) == seen; i++)
            {
                Thread.SpinWait(1);
            }

            lock (_gate)
            {
                while (_generation == seen && !_disposed)
                {
                    Monitor.Wait(_gate);
                }

                if (_disposed)
                {
                    return;
                }

                seen = _generation;
            }

            WorkerWaking?.Invoke();
            Interlocked.Increment(ref _active);
            try
            {
                if (Volatile.Read(ref _open) == 1)
                {
                    RunChunks();
                }
            }
#pragma warning disable CA1031 // any failure of the body belongs to the caller of For
            catch (Exception ex)
#pragma warning restore CA1031
            {
                lock (_gate)
                {
                    _failure ??= ExceptionDispatchInfo.Capture(ex);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _active);
            }
        }
    }
}
