using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Engine.KvCache;

namespace Tandem.Transfer.Tests;

/// <summary>A sender and a receiver over one transport, so that every scenario runs over TCP and over the fake.</summary>
internal abstract class TransportPair : IAsyncDisposable
{
    public static readonly KvCacheLayout Layout = new("test-model", 2, 2, 8, 4);

    protected TransportPair(FakeKvSource source) => Source = source;

    public FakeKvSource Source { get; }

    public abstract IKvSender Sender { get; }

    public abstract IKvReceiver Receiver { get; }

    public static TransportPair Create(string kind, TimeProvider? time = null, TimeSpan? lease = null) => kind switch
    {
        "tcp" => new Tcp(new FakeKvSource(Layout), time ?? TimeProvider.System, lease ?? TimeSpan.FromSeconds(60)),
        "in-process" => new InProcess(new FakeKvSource(Layout), time ?? TimeProvider.System, lease ?? TimeSpan.FromSeconds(60)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public Task<KvPullResult> PullAsync(KvTransferState state, KvCacheLayout? local = null) =>
        Receiver.PullAsync(state, local ?? Layout, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>Pulls over a connection that is lost partway through the data.</summary>
    public abstract Task<KvPullResult> PullCutAsync(KvTransferState state);

    /// <summary>The sender stops: its listener is gone.</summary>
    public abstract ValueTask StopSenderAsync();

    /// <summary>Waits until the sender has finished handling <paramref name="transfers"/> pulls (they end asynchronously on TCP).</summary>
    public async Task SenderSettledAsync(long transfers)
    {
        for (var i = 0; i < 500 && Sender.Stats.Succeeded + Sender.Stats.Failed < transfers; i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal(transfers, Sender.Stats.Succeeded + Sender.Stats.Failed);
    }

    public abstract ValueTask DisposeAsync();

    private sealed class Tcp : TransportPair
    {
        private readonly KvTransferServer _server;
        private readonly KvTransferClient _client;

        public Tcp(FakeKvSource source, TimeProvider time, TimeSpan lease)
            : base(source)
        {
            _server = new KvTransferServer(source, new KvTransferServerOptions { Lease = lease, MaxTokensInBuffer = 3 }, time, NullLogger.Instance);
            _server.Start();
            _client = new KvTransferClient(new KvTransferClientOptions { ConnectTimeout = TimeSpan.FromSeconds(2), IoTimeout = TimeSpan.FromSeconds(5) }, TimeProvider.System, NullLogger.Instance);
        }

        public KvTransferServer Server => _server;

        public override IKvSender Sender => _server;

        public override IKvReceiver Receiver => _client;

        public override async Task<KvPullResult> PullCutAsync(KvTransferState state)
        {
            await using var proxy = new CuttingProxy(_server.LocalEndpoint!, cutAfter: 1500);
            return await PullAsync(state with { Port = proxy.Port });
        }

        public override ValueTask StopSenderAsync() => _server.DisposeAsync();

        public override ValueTask DisposeAsync() => _server.DisposeAsync();
    }

    private sealed class InProcess(FakeKvSource source, TimeProvider time, TimeSpan lease) : TransportPair(source)
    {
        private readonly InProcessKvTransport _transport = new(source, lease, time);

        public override IKvSender Sender => _transport;

        public override IKvReceiver Receiver => _transport;

        public override Task<KvPullResult> PullCutAsync(KvTransferState state)
        {
            _transport.BreakNextPull();
            return PullAsync(state);
        }

        public override ValueTask StopSenderAsync()
        {
            _transport.Stop();
            return ValueTask.CompletedTask;
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
