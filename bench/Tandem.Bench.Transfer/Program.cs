using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using Tandem.Engine.KvCache;
using Tandem.Transfer;

// KV pull throughput over loopback against a plain loopback socket copy of the same bytes.
// usage: Tandem.Bench.Transfer [repeats=7] [max_tokens_in_buffer list, e.g. 0,64,512; 0 = unbounded (4 MiB frames)]
var repeats = args.Length > 0 ? int.Parse(args[0]) : 7;
long[] buffers = args.Length > 1 ? [.. args[1].Split(',').Select(long.Parse)] : [0, 64, 512];

// TinyLlama-1.1B: 22 layers, 4 KV heads, head size 64; fp32; 2,048 tokens = 64 blocks of 32.
var layout = new KvCacheLayout("tinyllama-1.1b-shape", Layers: 22, KvHeads: 4, HeadDim: 64, TokensPerBlock: 32);
const int Tokens = 2048;
var data = new byte[layout.BlocksFor(Tokens) * layout.BlockBytes];
new Random(7).NextBytes(data);
var snapshot = new KvSnapshot(layout, Tokens, data);
var megabytes = data.Length / 1e6;

ThreadPool.GetMinThreads(out var workers, out var io);
Console.WriteLine($"machine: {Environment.ProcessorCount} cpus, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, {RuntimeInformation.FrameworkDescription}");
Console.WriteLine($"threads: thread pool min {workers} workers / {io} io, server GC {GCSettings.IsServerGC}; sender and receiver in one process over 127.0.0.1");
Console.WriteLine($"KV: {Tokens} tokens of [{layout}] = {layout.BlocksFor(Tokens)} blocks, {data.Length:N0} bytes ({megabytes:F1} MB); best of {repeats}");

var client = new KvTransferClient(new KvTransferClientOptions(), TimeProvider.System, NullLogger.Instance);
var plainBest = double.MaxValue;
foreach (var maxTokens in buffers)
{
    var options = new KvTransferServerOptions { MaxTokensInBuffer = maxTokens > 0 ? maxTokens : null };
    await using var server = new KvTransferServer(new HeldSnapshotSource(snapshot), options, TimeProvider.System, NullLogger.Instance);
    server.Start();
    var pullBest = double.MaxValue;
    for (var i = 0; i < repeats + 1; i++)
    {
        var plain = await TimeAsync(() => PlainSocketCopy.RunAsync(data));
        var pull = await TimeAsync(async () =>
        {
            var result = await client.PullAsync(server.Register($"bench-{i}"), layout, CancellationToken.None);
            return result.Succeeded ? result.Snapshot.Data : throw new InvalidOperationException(result.ToString());
        });

        // The first round warms the JIT and the socket paths.
        if (i > 0)
        {
            plainBest = Math.Min(plainBest, plain);
            pullBest = Math.Min(pullBest, pull);
        }
    }

    var frame = maxTokens > 0 ? $"max_tokens_in_buffer {maxTokens} ({Math.Min(maxTokens * layout.BytesPerToken, 4 << 20) / 1e6:F2} MB frames)" : "unbounded (4 MiB frames)";
    Console.WriteLine($"{frame,-48} pull {megabytes / pullBest:F0} MB/s ({pullBest * 1e3:F1} ms)   plain socket {megabytes / plainBest:F0} MB/s ({plainBest * 1e3:F1} ms)   ratio {plainBest / pullBest:F2}");
}

async Task<double> TimeAsync(Func<Task<byte[]>> run)
{
    GC.Collect();
    var watch = Stopwatch.StartNew();
    var received = await run();
    var seconds = watch.Elapsed.TotalSeconds;
    if (!received.AsSpan().SequenceEqual(data))
    {
        throw new InvalidOperationException("received bytes differ from the sent ones");
    }

    return seconds;
}
