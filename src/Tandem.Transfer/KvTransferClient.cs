using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Tandem.Engine.KvCache;
using Tandem.Transfer.Wire;

namespace Tandem.Transfer;

/// <summary>
/// The receiver (generation server side) of the TCP transport; the exchange is drawn in <see cref="PullProtocol"/>.
/// Lifecycle of one <see cref="PullAsync"/>, each step bounded by a timeout:
/// <code>
/// check    the state's layout against ours: a mismatch fails before any connection
/// connect  to the endpoint in the state                      → Unreachable
/// Hello    request id and secret; an Error answer carries the sender's verdict (Refused, NotFound, …)
/// Header   the sender's layout must equal ours, else Error back → LayoutMismatch, no data moves
/// Ready    then Data frames straight into the snapshot's array, until End
/// Ack      the sender may free its blocks; the snapshot is ours
/// </code>
/// Stateless between pulls; any number may run at once.
/// </summary>
public sealed class KvTransferClient : IKvReceiver
{
    private readonly KvTransferClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public KvTransferClient(KvTransferClientOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.IoTimeout, TimeSpan.Zero);
        _options = options;
        _time = time;
        _logger = logger;
    }

    public KvTransferStats Stats { get; } = new();

    public async Task<KvPullResult> PullAsync(KvTransferState state, KvCacheLayout localLayout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(localLayout);
        var started = _time.GetTimestamp();
        var progress = new Progress();
        var result = LayoutCheck.Mismatch(state.Layout, localLayout) is { } mismatch
            ? KvPullResult.Failure(KvTransferError.LayoutMismatch, mismatch)
            : await ConnectAndPullAsync(state, localLayout, progress, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            Stats.RecordSuccess(progress.Received);
            var milliseconds = _time.GetElapsedTime(started).TotalMilliseconds;
            TransferLog.Pulled(_logger, state.RequestId, state.Host, state.Port, progress.Received, milliseconds);
        }
        else
        {
            Stats.RecordFailure(result.Error, progress.Received);
            TransferLog.PullFailed(_logger, state.RequestId, state.Host, state.Port, result.Error, result.Reason);
        }

        return result;
    }

    private async Task<KvPullResult> ConnectAndPullAsync(KvTransferState state, KvCacheLayout localLayout, Progress progress, CancellationToken cancellationToken)
    {
        using var step = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(step.Token, cancellationToken);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            step.CancelAfter(_options.ConnectTimeout);
            await socket.ConnectAsync(state.Host, state.Port, linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            var why = e is SocketException ? e.Message : $"no answer within {_options.ConnectTimeout.TotalMilliseconds:F0} ms";
            return KvPullResult.Failure(KvTransferError.Unreachable, $"cannot reach the context server's KV transfer listener at {state.Host}:{state.Port}: {why}");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        await using var frames = new FrameStream(new NetworkStream(socket, ownsSocket: true));
        try
        {
            return await ExchangeAsync(frames, state, localLayout, progress, step, linked.Token).ConfigureAwait(false);
        }
        catch (WireFormatException e)
        {
            await TrySendErrorAsync(frames, KvTransferError.Protocol, e.Message).ConfigureAwait(false);
            return KvPullResult.Failure(KvTransferError.Protocol, $"the context server broke the protocol: {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return KvPullResult.Failure(KvTransferError.Timeout, $"the context server sent nothing for {_options.IoTimeout.TotalMilliseconds:F0} ms (after {progress.Received} of {progress.Expected} bytes)");
        }
        catch (IOException e)
        {
            return KvPullResult.Failure(KvTransferError.Broken, $"connection to the context server lost after {progress.Received} of {progress.Expected} bytes: {e.Message}");
        }
    }

    private async Task<KvPullResult> ExchangeAsync(
        FrameStream frames, KvTransferState state, KvCacheLayout localLayout, Progress progress, CancellationTokenSource step, CancellationToken cancellationToken)
    {
        step.CancelAfter(_options.IoTimeout);
        await frames.WriteControlAsync(FrameType.Hello, new HelloFrame(state.RequestId, state.Secret).Encode(), cancellationToken).ConfigureAwait(false);
        var (type, payload) = await frames.ReadControlAsync(FrameType.Header, cancellationToken).ConfigureAwait(false);
        if (type == FrameType.Error)
        {
            var refusal = ErrorFrame.Decode(payload);
            return KvPullResult.Failure(refusal.Error, refusal.Reason);
        }

        var header = HeaderFrame.Decode(payload);
        if (LayoutCheck.Mismatch(header.Layout, localLayout) is { } mismatch)
        {
            await frames.WriteControlAsync(FrameType.Error, new ErrorFrame(KvTransferError.LayoutMismatch, mismatch).Encode(), cancellationToken).ConfigureAwait(false);
            return KvPullResult.Failure(KvTransferError.LayoutMismatch, mismatch);
        }

        progress.Expected = header.TotalBytes;
        var data = GC.AllocateUninitializedArray<byte>((int)header.TotalBytes);
        await frames.WriteControlAsync(FrameType.Ready, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            step.CancelAfter(_options.IoTimeout);
            var (frame, length) = await frames.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
            if (frame == FrameType.Data)
            {
                if (length > header.ChunkBytes || length > data.Length - progress.Received)
                {
                    throw new WireFormatException($"a data frame of {length} bytes overruns the announced {header.TotalBytes} bytes in chunks of {header.ChunkBytes}");
                }

                await frames.ReadDataAsync(data.AsMemory((int)progress.Received, length), cancellationToken).ConfigureAwait(false);
                progress.Received += length;
            }
            else if (frame == FrameType.End && length == 0)
            {
                break;
            }
            else if (frame == FrameType.Error)
            {
                var abort = ErrorFrame.Decode(await frames.ReadControlPayloadAsync(frame, length, cancellationToken).ConfigureAwait(false));
                return KvPullResult.Failure(abort.Error, abort.Reason);
            }
            else
            {
                throw new WireFormatException($"expected a Data or End frame, got {frame} of {length} bytes");
            }
        }

        if (progress.Received != header.TotalBytes)
        {
            throw new WireFormatException($"the transfer ended after {progress.Received} of {header.TotalBytes} bytes");
        }

        await frames.WriteControlAsync(FrameType.Ack, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        return KvPullResult.Success(new KvSnapshot(header.Layout, header.TokenCount, data));
    }

    private async Task TrySendErrorAsync(FrameStream frames, KvTransferError error, string reason)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1), _time);
            await frames.WriteControlAsync(FrameType.Error, new ErrorFrame(error, reason).Encode(), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The sender is already gone; the failure is returned to the caller.
        }
    }

    private sealed class Progress
    {
        public long Received { get; set; }

        public long Expected { get; set; }
    }
}
