using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Engine.Kernels;
using Tandem.Engine.KvCache;
using Tandem.Engine.Modeling;
using Tandem.Engine.Models;
using Tandem.Engine.Sampling;
using Tandem.Engine.Scheduling;
using Tandem.Engine.Weights;

namespace Tandem.Engine.Execution;

/// <summary>
/// Runs a model for many requests at once on one dedicated engine thread.
///
/// Lifecycle of a request:
/// <code>
///  Submit ──validate──> command channel ──> waiting queue ──admit──> running ──sample──> events
///                                                 ^                    │  │
///                                                 └──── preempted ─────┘  ├─ Stop/Length/Cancelled: blocks freed
///                                                                         └─ ContextDone: blocks held under a lease
///                                                                            until Release, or freed at expiry
/// </code>
/// Every step: drain commands → expire leases → schedule → forward → sample → emit (DESIGN.md rule 1).
/// Other threads talk to the engine only through commands; the engine thread owns the scheduler,
/// the KV cache and every sequence.
/// </summary>
public sealed partial class InferenceEngine : IAsyncDisposable
{
    private readonly Channel<EngineCommand> _commands = Channel.CreateUnbounded<EngineCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly EngineOptions _options;
    private readonly LlamaModel _model;
    private readonly PagedKvCache _cache;
    private readonly Scheduler _scheduler;
    private readonly KernelThreads _threads;
    private readonly LlamaWeights _weights;
    private readonly HeldKvStore _held;
    private readonly HashSet<string> _active = [];
    private readonly HashSet<int> _eos;
    private readonly StepPlan _plan = new();
    private long _stepAllocatedBytes;
    private long _allocationCountedSteps;

    /// <summary>What handing this step's tokens to their streams allocated (left out of the step's bytes).</summary>
    private long _stepEventBytes;
    private readonly ForwardBatch _batch;
    private readonly float[] _logits;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _arrivals;
    private int _queued;
    private long _steps;
    private long _promptTokens;
    private long _generatedTokens;
    private volatile bool _disposed;

    public InferenceEngine(ModelConfig config, LlamaWeights weights, EngineOptions options, string modelFingerprint, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate().ToList();
        var maxSeqLen = options.MaxSeqLen ?? config.MaxPositionEmbeddings;
        if (maxSeqLen > config.MaxPositionEmbeddings)
        {
            errors.Add($"max_seq_len {maxSeqLen} exceeds the model's max_position_embeddings {config.MaxPositionEmbeddings}");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid engine settings:\n  " + string.Join("\n  ", errors), nameof(options));
        }

        _logger = loggerFactory?.CreateLogger<InferenceEngine>() ?? NullLogger<InferenceEngine>.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _options = options;
        _weights = weights;
        Config = config;
        MaxSeqLen = maxSeqLen;
        Layout = new KvCacheLayout(modelFingerprint, config.NumLayers, config.NumKvHeads, config.HeadDim, options.TokensPerBlock, KvCacheDTypes.Name(options.KvCacheDType));
        var blocks = KvCacheSizing.BlockCount(options, Layout, maxSeqLen, out var sizingError);
        if (sizingError is not null)
        {
            throw new ArgumentException(sizingError, nameof(options));
        }

        _threads = new KernelThreads(options.Threads ?? Environment.ProcessorCount);
        _cache = new PagedKvCache(Layout, blocks);
        _held = new HeldKvStore(_cache);
        var maxTokens = Math.Min(options.MaxNumTokens, options.MaxBatchSize * maxSeqLen);
        _model = new LlamaModel(config, weights, _threads, maxTokens, options.MaxBatchSize, maxSeqLen);
        if (options.KvEventBufferMaxSize > 0)
        {
            KvCacheEvents = new KvCacheEventLog(options.KvEventBufferMaxSize);
            KvCacheEvents.Created(blocks);
        }

        if (options.EnableBlockReuse)
        {
            _cache.Pool.EnableReuse(Layout.TokensPerBlock, KvCacheEvents);
        }

        _scheduler = new Scheduler(_cache, options.MaxBatchSize, maxTokens);
        _batch = new ForwardBatch(maxTokens, options.MaxBatchSize);
        _logits = new float[options.MaxBatchSize * config.VocabSize];
        _eos = [.. config.EosTokenIds];

        EngineLog.Ready(_logger, blocks, options.TokensPerBlock, _cache.CapacityTokens, blocks * Layout.BlockBytes >> 20, Layout.DType, options.MaxBatchSize, maxTokens, maxSeqLen, _threads.Count);
        _thread = new Thread(Run) { IsBackground = true, Name = "tandem-engine" };
        _thread.Start();
    }

    public ModelConfig Config { get; }

    public KvCacheLayout Layout { get; }

    public int MaxSeqLen { get; }

    public int ThreadCount => _threads.Count;

    /// <summary>True while the engine thread runs and accepts requests.</summary>
    public bool IsRunning => !_disposed && _thread.IsAlive;

    public long KvCapacityTokens => _cache.CapacityTokens;

    public int KvBlocksTotal => _cache.Pool.Total;

    /// <summary>The KV-cache events (<see cref="EngineOptions.KvEventBufferMaxSize"/>); null when off.</summary>
    public KvCacheEventLog? KvCacheEvents { get; }

    /// <summary>Bytes of weights one forward step reads (for bandwidth figures).</summary>
    public long WeightBytesPerStep => _weights.MatrixBytesPerStep;

    /// <summary>The stored types of the matrices a step reads, most bytes first (e.g. "q8_0", "bfloat16").</summary>
    public string WeightTypes => _weights.MatrixTypes;

    /// <summary>Queues a request. Invalid requests and a full queue are refused here, with the reason.</summary>
    public SubmitResult Submit(EngineRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_disposed)
        {
            return new SubmitResult(null, SubmitError.Stopped, "the engine is shutting down");
        }

        if (Validate(request) is { } error)
        {
            return new SubmitResult(null, SubmitError.Invalid, error.Message);
        }

        if (Interlocked.Increment(ref _queued) > _options.MaxWaitingRequests)
        {
            Interlocked.Decrement(ref _queued);
            return new SubmitResult(null, SubmitError.QueueFull, $"the waiting queue is full ({_options.MaxWaitingRequests} requests)");
        }

        var events = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
        var seed = request.Sampling.Seed ?? (ulong)Random.Shared.NextInt64();
        var sampler = new Sampler(request.Sampling, Config.VocabSize, [.. request.PromptTokens], seed);
        var sequence = new Sequence(request, sampler, events.Writer, Interlocked.Increment(ref _arrivals), MaxBlocks(request)) { SubmittedAt = _time.GetTimestamp() };
        var handle = new RequestHandle(request.Id, events.Reader, this);
        if (!_commands.Writer.TryWrite(new EngineCommand.Submit(sequence)))
        {
            Interlocked.Decrement(ref _queued);
            return new SubmitResult(null, SubmitError.Stopped, "the engine is shutting down");
        }

        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(static state => ((RequestHandle)state!).Cancel(), handle);
        }

        return new SubmitResult(handle, SubmitError.None, null);
    }

    public void Cancel(string requestId) => _commands.Writer.TryWrite(new EngineCommand.Cancel(requestId));

    /// <summary>Copies the KV blocks a finished context-only request holds; null when it holds none (unknown, released or expired).</summary>
    public Task<KvSnapshot?> ExportKvAsync(string requestId)
    {
        var result = new TaskCompletionSource<KvSnapshot?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_commands.Writer.TryWrite(new EngineCommand.Export(requestId, result)))
        {
            result.SetResult(null);
        }

        return result.Task;
    }

    /// <summary>Frees the blocks a finished context-only request holds; false when it held none.</summary>
    public Task<bool> ReleaseKvAsync(string requestId)
    {
        var result = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_commands.Writer.TryWrite(new EngineCommand.Release(requestId, result)))
        {
            result.SetResult(false);
        }

        return result.Task;
    }

    /// <summary>Load figures taken on the engine thread between steps (so they are consistent).</summary>
    public Task<EngineStats> GetStatsAsync()
    {
        var result = new TaskCompletionSource<EngineStats>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_commands.Writer.TryWrite(new EngineCommand.Inspect(result)))
        {
            result.SetResult(Stats());
        }

        return result.Task;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _commands.Writer.TryComplete();
        await _stopped.Task.ConfigureAwait(false);
        _cache.Dispose();
        _threads.Dispose();
    }

    /// <summary>Blocks a request can ever hold (prompt plus max_tokens, validated against max_seq_len at submission).</summary>
    private int MaxBlocks(EngineRequest request)
    {
        var tokens = Math.Min((long)request.PromptTokens.Count + request.MaxTokens, MaxSeqLen);
        return (int)((tokens + Layout.TokensPerBlock - 1) / Layout.TokensPerBlock);
    }

    private void Run()
    {
        try
        {
            var reader = _commands.Reader;
            while (true)
            {
                while (reader.TryRead(out var command))
                {
                    Handle(command);
                }

                ExpireLeases();
                if (_scheduler.HasWork)
                {
                    // The GC counters are read before the thread's allocation count and after it at the end,
                    // so that a pause which moved the count always lies between the two readings of them.
                    var collections = GC.CollectionCount(0);
                    var paused = GC.GetTotalPauseDuration();
                    var allocated = GC.GetAllocatedBytesForCurrentThread();
                    _stepEventBytes = 0;
                    _scheduler.Schedule(_plan);
                    if (!_plan.IsEmpty)
                    {
                        Step();
                        var stepBytes = GC.GetAllocatedBytesForCurrentThread() - allocated - _stepEventBytes;

                        // Steps during which the runtime paused for a garbage collection are not counted: the
                        // thread's count can grow there with nothing allocated. A background (concurrent) gen2
                        // collection ends its mark phase in a second pause, which does not change
                        // GC.CollectionCount, and there it voids every thread's allocation context (gc.cpp:
                        // background_mark_phase -> repair_allocation_contexts(FALSE) -> void_allocation) without
                        // taking the unused rest off the thread's allocated bytes (a blocking collection takes it
                        // off): the count jumps by up to one allocation quantum (~8 KB). Measured in the full test
                        // suite, where other tests' model loads trigger background collections: +8112 bytes in
                        // single decode steps that allocated nothing, each with a pause during the step equal to
                        // that collection's second pause (GCMemoryInfo.PauseDurations[1]), never without one. Every
                        // pause, blocking or background, adds to GC.GetTotalPauseDuration, so a step that saw
                        // neither counter move can be counted.
                        if (GC.CollectionCount(0) == collections && GC.GetTotalPauseDuration() == paused)
                        {
                            _stepAllocatedBytes += stepBytes;
                            _allocationCountedSteps++;
                        }

                        continue;
                    }
                }

                if (!WaitForCommand(reader))
                {
                    break;
                }
            }
        }
        finally
        {
            Shutdown();
            _stopped.TrySetResult();
        }
    }

    /// <summary>Blocks until a command arrives or the next lease expires; false when the channel is closed and empty.</summary>
    private bool WaitForCommand(ChannelReader<EngineCommand> reader)
    {
        var wait = reader.WaitToReadAsync().AsTask();
        var deadline = _held.NextDeadline();
        if (deadline is { } d)
        {
            var delay = d - _time.GetUtcNow();
            if (delay > TimeSpan.Zero)
            {
                Task.WaitAny(wait, Task.Delay(delay, _time));
            }

            return !wait.IsCompleted || wait.Result;
        }

        return wait.GetAwaiter().GetResult();
    }

    private void Handle(EngineCommand command)
    {
        switch (command)
        {
            case EngineCommand.Submit s:
                Admit(s.Sequence);
                break;
            case EngineCommand.Cancel c:
                CancelRequest(c.RequestId);
                break;
            case EngineCommand.Export e:
                e.Result.SetResult(_held.Export(e.RequestId));
                break;
            case EngineCommand.Release r:
                r.Result.SetResult(_held.Release(r.RequestId));
                break;
            case EngineCommand.Inspect i:
                i.Result.SetResult(Stats());
                break;
        }
    }

    private void Admit(Sequence sequence)
    {
        Interlocked.Decrement(ref _queued);
        if (!_active.Add(sequence.Id) || _held.Contains(sequence.Id))
        {
            _active.Remove(sequence.Id);
            Complete(sequence, FinishReason.Rejected, $"a request with id '{sequence.Id}' is already running");
            return;
        }

        var request = sequence.Request;
        if (request.Type == RequestType.GenerationOnly)
        {
            foreach (var token in request.FirstTokens)
            {
                sequence.Tokens.Add(token);
                sequence.Sampler.Accept(token);
                sequence.Events.TryWrite(new GenerationEvent(token, float.NaN, null, FinishReason.None, null, Imported: true));
            }

            // Without an imported cache the prompt is recomputed here (the transfer-failure fallback).
            sequence.AwaitingImport = request.ImportedKv is not null;
            if (StopReason(sequence, sequence.Tokens[^1]) is { } reason and not FinishReason.ContextDone)
            {
                Finish(sequence, reason);
                return;
            }
        }

        _scheduler.Enqueue(sequence);
    }

    private void Step()
    {
        _batch.Clear();
        var started = _time.GetTimestamp();
        foreach (var (sequence, count) in _plan.Entries)
        {
            if (sequence.FirstIteration < 0)
            {
                sequence.FirstScheduledAt = started;
                sequence.FirstIteration = _steps;
            }

            sequence.LastIteration = _steps;
            var tokens = CollectionsMarshal.AsSpan(sequence.Tokens).Slice(sequence.Computed, count);
            _batch.AddSequence(sequence.Blocks, tokens, sequence.Computed, wantLogits: sequence.Computed + count == sequence.Tokens.Count);
        }

        try
        {
            _model.Forward(_batch, _cache, _logits);
        }
#pragma warning disable CA1031 // a failed step must not kill the engine: its requests fail, others go on
        catch (Exception ex)
#pragma warning restore CA1031
        {
            EngineLog.StepFailed(_logger, ex, _plan.Entries.Count);
            foreach (var (sequence, _) in _plan.Entries)
            {
                _scheduler.Finish(sequence);
                Finish(sequence, FinishReason.Failed, "internal error in the forward pass: " + ex.Message);
            }

            return;
        }

        _steps++;
        var ended = _time.GetTimestamp();
        var vocab = Config.VocabSize;
        var row = 0;
        foreach (var (sequence, count) in _plan.Entries)
        {
            if (sequence.Computed < sequence.PromptLength)
            {
                _promptTokens += Math.Min(count, sequence.PromptLength - sequence.Computed);
            }

            sequence.Computed += count;
            if (sequence.Computed != sequence.Tokens.Count)
            {
                continue;
            }

            var sampled = sequence.Sampler.Sample(_logits.AsSpan(row * vocab, vocab));
            row++;
            sequence.Tokens.Add(sampled.TokenId);
            sequence.FirstTokenAt = sequence.FirstTokenAt == 0 ? ended : sequence.FirstTokenAt;
            sequence.LastTokenAt = ended;
            _generatedTokens++;
            // A reader that falls behind makes its unbounded channel buffer events (allocating as it
            // grows): that is the reader's backlog, not the step's work, so it is not counted.
            var beforeEvent = GC.GetAllocatedBytesForCurrentThread();
            sequence.Events.TryWrite(GenerationEvent.Token(sampled));
            _stepEventBytes += GC.GetAllocatedBytesForCurrentThread() - beforeEvent;
            if (StopReason(sequence, sampled.TokenId) is { } reason)
            {
                _scheduler.Finish(sequence);
                Finish(sequence, reason);
            }
        }
    }

    private FinishReason? StopReason(Sequence sequence, int token)
    {
        var request = sequence.Request;
        if ((!request.IgnoreEos && _eos.Contains(token)) || request.StopTokenIds.Contains(token))
        {
            return FinishReason.Stop;
        }

        if (sequence.Generated >= request.MaxTokens || sequence.Tokens.Count >= MaxSeqLen)
        {
            return FinishReason.Length;
        }

        return request.Type == RequestType.ContextOnly ? FinishReason.ContextDone : null;
    }

    /// <summary>Ends a sequence that is no longer in the scheduler: hold or free its blocks, send the final event.</summary>
    private void Finish(Sequence sequence, FinishReason reason, string? message = null)
    {
        var metrics = sequence.Metrics();
        if (reason == FinishReason.ContextDone)
        {
            // Held blocks are read-only until released: with block reuse their full ones are findable at once, so
            // a context server reuses a prefix while the first request's KV still waits for its transfer.
            _scheduler.Index(sequence);
            _held.Hold(sequence.Id, sequence.Blocks, sequence.Computed, _time.GetUtcNow() + _options.HeldKvTimeout);
        }
        else
        {
            _scheduler.Release(sequence);
        }

        _active.Remove(sequence.Id);
        EngineLog.Finished(_logger, sequence.Id, reason, sequence.PromptLength, sequence.Generated);
        Complete(sequence, reason, message, metrics);
    }

    private static void Complete(Sequence sequence, FinishReason reason, string? message, RequestMetrics? metrics = null)
    {
        sequence.Events.TryWrite(GenerationEvent.Final(reason, message, metrics));
        sequence.Events.TryComplete();
    }

    private void CancelRequest(string id)
    {
        if (_scheduler.Remove(id, out var sequence))
        {
            Finish(sequence!, FinishReason.Cancelled, "cancelled");
            return;
        }

        _held.Release(id);
    }

    private void ExpireLeases()
    {
        if (_held.Count > 0 && _held.Expire(_time.GetUtcNow()) is { } expired)
        {
            foreach (var id in expired)
            {
                EngineLog.LeaseExpired(_logger, id, _options.HeldKvTimeout.TotalSeconds);
            }
        }
    }

    private EngineStats Stats() => new(
        _scheduler.RunningCount,
        _scheduler.WaitingCount + Math.Max(0, Volatile.Read(ref _queued)),
        _held.Count,
        _cache.Pool.Total,
        _cache.Pool.FreeCount,
        Layout.TokensPerBlock,
        _steps,
        _promptTokens,
        _generatedTokens,
        _scheduler.Preemptions,
        _stepAllocatedBytes,
        _allocationCountedSteps,
        _cache.Pool.EvictableCount);

    private void Shutdown()
    {
        foreach (var sequence in _scheduler.All().ToList())
        {
            _scheduler.Remove(sequence.Id, out _);
            Finish(sequence, FinishReason.Cancelled, "the engine is shutting down");
        }

        while (_commands.Reader.TryRead(out var command))
        {
            switch (command)
            {
                case EngineCommand.Submit s:
                    Complete(s.Sequence, FinishReason.Cancelled, "the engine is shutting down");
                    break;
                case EngineCommand.Export e:
                    e.Result.TrySetResult(null);
                    break;
                case EngineCommand.Release r:
                    r.Result.TrySetResult(false);
                    break;
                case EngineCommand.Inspect i:
                    i.Result.TrySetResult(Stats());
                    break;
            }
        }

        _held.ReleaseAll();
    }
}
