using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Tandem.Engine.KvCache;
using Tandem.Transfer.Wire;

namespace Tandem.Transfer;

/// <summary>
/// The sender (context server side) of the TCP transport; the exchange is drawn in <see cref="PullProtocol"/>.
/// Lifecycle:
/// <code>
/// Start()          bind host:port (0 = ephemeral; :: is dual-mode), accept on a background task
/// Register(id)     after a context-only request finished: fresh secret, lease starts (KvRegistry);
///                  the state names the host from KvTransferServerAddress
/// connection       one task per receiver, off the engine thread, any number at once:
///   Hello          claim the request (secret checked in constant time) or answer Error, send nothing
///   Header         export the blocks (the engine copies them), send layout and sizes
///   Ready          stream the snapshot in Data frames of at most max_tokens_in_buffer tokens, then End
///   Ack            forget the request, release its blocks, count the success
///   failure        count it; the request stays pullable until its lease ends, the engine frees the blocks then
/// ReleaseAsync()   the generation leg will not come (router's POST /kv_cache_release): forget it, free its blocks now
/// DisposeAsync()   stop accepting, cancel open transfers, wait for them
/// </code>
/// </summary>
public sealed class KvTransferServer : IKvSender, IAsyncDisposable
{
    private readonly IKvSource _source;
    private readonly KvTransferServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly KvRegistry _registry;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly bool _wildcard;
    private readonly IPAddress? _bindAddress;
    private long _nextConnection;
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;

    public KvTransferServer(IKvSource source, KvTransferServerOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port, ushort.MaxValue);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Lease, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.IoTimeout, TimeSpan.Zero);
        _source = source;
        _options = options;
        _time = time;
        _logger = logger;
        _registry = new KvRegistry(source.Layout, options.Lease, time);
        _wildcard = options.AdvertisedHost is null && KvTransferServerAddress.IsWildcard(options.Host);
        _bindAddress = options.Host is "*" ? IPAddress.Any : IPAddress.TryParse(options.Host, out var parsed) ? parsed : null;
        AdvertisedHost = options.AdvertisedHost
            ?? (_wildcard ? KvTransferServerAddress.ForWildcard(_bindAddress!, null, KvTransferServerAddress.InterfaceAddresses()) : options.Host);
    }

    /// <summary>The bound address; null before <see cref="Start"/>.</summary>
    public IPEndPoint? LocalEndpoint { get; private set; }

    /// <summary>
    /// The host written into transfer states (<see cref="KvTransferServerAddress"/>); on a wildcard listener, the
    /// one used when the address a request arrived on is unknown or unusable.
    /// </summary>
    public string AdvertisedHost { get; }

    public KvTransferStats Stats { get; } = new();

    /// <summary>Requests registered and not yet pulled, expired or swept.</summary>
    public int PendingCount => _registry.Count;

    public void Start()
    {
        if (_listener is not null)
        {
            throw new InvalidOperationException("the KV transfer server is already started");
        }

        var address = _bindAddress ?? Dns.GetHostAddresses(_options.Host)[0];
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                listener.DualMode = true;
            }

            listener.Bind(new IPEndPoint(address, _options.Port));
            listener.Listen(128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        LocalEndpoint = (IPEndPoint)listener.LocalEndPoint!;
        TransferLog.Listening(_logger, LocalEndpoint, AdvertisedHost, LocalEndpoint.Port);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public KvTransferState Register(string requestId) => Register(requestId, arrivedOn: null);

    /// <summary>
    /// As <see cref="Register(string)"/>; <paramref name="arrivedOn"/> is the local address of the connection the
    /// context-only request came in on, which a wildcard listener advertises when a peer elsewhere can use it.
    /// </summary>
    public KvTransferState Register(string requestId, IPAddress? arrivedOn)
    {
        var endpoint = LocalEndpoint ?? throw new InvalidOperationException("the KV transfer server is not started");
        var host = _wildcard && arrivedOn is not null ? KvTransferServerAddress.ForWildcard(_bindAddress!, arrivedOn, [IPAddress.Parse(AdvertisedHost)]) : AdvertisedHost;
        return _registry.Register(requestId, host, endpoint.Port);
    }

    /// <inheritdoc/>
    public async Task<KvReleaseResult> ReleaseAsync(string requestId, ReadOnlyMemory<byte> secret)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        var result = _registry.Abandon(requestId, secret.Span);
        if (result.Outcome == KvReleaseOutcome.Released)
        {
            await _source.ReleaseAsync(requestId).ConfigureAwait(false);
            TransferLog.Released(_logger, requestId);
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener!.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || _stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                TransferLog.AcceptFailed(_logger, e);
                return;
            }

            socket.NoDelay = true;
            var id = Interlocked.Increment(ref _nextConnection);
            _connections[id] = Task.Run(async () =>
            {
                try
                {
                    await ServeAsync(socket).ConfigureAwait(false);
                }
                finally
                {
                    _connections.TryRemove(id, out _);
                }
            });
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var peer = socket.RemoteEndPoint?.ToString() ?? "?";
        using var step = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(step.Token, _stopping.Token);
        var cancellationToken = linked.Token;
        await using var frames = new FrameStream(new NetworkStream(socket, ownsSocket: true));
        var started = _time.GetTimestamp();
        string requestId = "?";
        string? claimed = null;
        long sent = 0;
        try
        {
            step.CancelAfter(_options.IoTimeout);
            var (type, payload) = await frames.ReadControlAsync(FrameType.Hello, cancellationToken).ConfigureAwait(false);
            if (type == FrameType.Error)
            {
                throw new WireFormatException("the receiver opened with an error frame");
            }

            var hello = HelloFrame.Decode(payload);
            requestId = hello.RequestId;
            if (!_registry.TryClaim(requestId, hello.Secret.Span, out var refusal, out var reason))
            {
                await RefuseAsync(frames, refusal, reason, requestId, peer, cancellationToken).ConfigureAwait(false);
                return;
            }

            claimed = requestId;
            var snapshot = await _source.ExportAsync(requestId).ConfigureAwait(false);
            if (snapshot is null)
            {
                _registry.Complete(requestId);
                claimed = null;
                await RefuseAsync(frames, KvTransferError.NotFound, $"the KV blocks of request {requestId} are no longer held", requestId, peer, cancellationToken).ConfigureAwait(false);
                return;
            }

            var chunkBytes = ChunkBytes(snapshot.Layout);
            step.CancelAfter(_options.IoTimeout);
            var header = new HeaderFrame(snapshot.Layout, snapshot.TokenCount, snapshot.Data.LongLength, chunkBytes);
            await frames.WriteControlAsync(FrameType.Header, header.Encode(), cancellationToken).ConfigureAwait(false);
            (type, payload) = await frames.ReadControlAsync(FrameType.Ready, cancellationToken).ConfigureAwait(false);
            if (type == FrameType.Error)
            {
                var abort = ErrorFrame.Decode(payload);
                Fail(requestId, peer, abort.Error, $"the receiver declined: {abort.Reason}", sent);
                return;
            }

            for (var offset = 0; offset < snapshot.Data.Length; offset += chunkBytes)
            {
                step.CancelAfter(_options.IoTimeout);
                var chunk = snapshot.Data.AsMemory(offset, Math.Min(chunkBytes, snapshot.Data.Length - offset));
                await frames.WriteDataAsync(chunk, cancellationToken).ConfigureAwait(false);
                sent += chunk.Length;
            }

            step.CancelAfter(_options.IoTimeout);
            await frames.WriteControlAsync(FrameType.End, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            (type, payload) = await frames.ReadControlAsync(FrameType.Ack, cancellationToken).ConfigureAwait(false);
            if (type == FrameType.Error)
            {
                var abort = ErrorFrame.Decode(payload);
                Fail(requestId, peer, abort.Error, $"the receiver failed after the data: {abort.Reason}", sent);
                return;
            }

            _registry.Complete(requestId);
            claimed = null;
            await _source.ReleaseAsync(requestId).ConfigureAwait(false);
            Stats.RecordSuccess(sent);
            var milliseconds = _time.GetElapsedTime(started).TotalMilliseconds;
            TransferLog.Sent(_logger, requestId, sent, milliseconds);
        }
        catch (WireFormatException e)
        {
            Fail(requestId, peer, KvTransferError.Protocol, e.Message, sent);
            await TrySendErrorAsync(frames, KvTransferError.Protocol, e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (step.IsCancellationRequested)
        {
            Fail(requestId, peer, KvTransferError.Timeout, $"the receiver did not keep up within {_options.IoTimeout.TotalMilliseconds:F0} ms", sent);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            Fail(requestId, peer, KvTransferError.Broken, "the KV transfer server is stopping", sent);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            Fail(requestId, peer, KvTransferError.Broken, $"connection lost after {sent} bytes: {e.Message}", sent);
        }
        finally
        {
            if (claimed is not null)
            {
                _registry.Return(claimed);
            }
        }
    }

    private async Task RefuseAsync(FrameStream frames, KvTransferError error, string reason, string requestId, string peer, CancellationToken cancellationToken)
    {
        Fail(requestId, peer, error, reason, 0);
        await frames.WriteControlAsync(FrameType.Error, new ErrorFrame(error, reason).Encode(), cancellationToken).ConfigureAwait(false);
    }

    private void Fail(string requestId, string peer, KvTransferError error, string reason, long sent)
    {
        Stats.RecordFailure(error, sent);
        TransferLog.SendFailed(_logger, requestId, peer, error, reason);
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
            // The peer is already gone; the failure is counted and logged.
        }
    }

    private int ChunkBytes(KvCacheLayout layout)
    {
        var bound = _options.MaxTokensInBuffer is { } tokens ? tokens * layout.BytesPerToken : long.MaxValue;
        return (int)Math.Clamp(bound, 1, PullProtocol.MaxChunkBytes);
    }
}
