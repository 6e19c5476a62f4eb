using System.Net;
using Microsoft.Extensions.Logging;
using Tandem.Contracts;
using Tandem.Engine.Execution;
using Tandem.Engine.KvCache;
using Tandem.Server.Configuration;
using Tandem.Server.Metrics;
using Tandem.Transfer;

namespace Tandem.Server.Disaggregation;

/// <summary>
/// A worker's part in disaggregated serving (TensorRT-LLM's v1 protocol).
///
/// Context side (role context or both): a <c>context_only</c> request runs until its first token;
/// its KV blocks stay held in the engine and are registered with the transfer sender under a fresh
/// secret; the response carries <c>disaggregated_params</c> (first_gen_tokens, ctx_request_id,
/// encoded_opaque_state) and <c>prompt_token_ids</c>.
///
/// Generation side (role generation or both): a <c>generation_only</c> request pulls those blocks from
/// the context server named in <c>encoded_opaque_state</c>, then decodes from <c>first_gen_tokens</c>.
/// A failed pull follows <c>kv_transfer_failure_policy</c>: <c>recompute</c> (prefill locally, log,
/// count, and say <c>"kv_transfer": "recomputed"</c>) or <c>fail</c> (502 with the reason). Never silent.
/// </summary>
internal sealed class DisaggregationService : IAsyncDisposable
{
    private readonly ServerSettings _settings;
    private readonly InferenceEngine _engine;
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly KvTransferServer? _sender;
    private readonly KvTransferClient? _receiver;
    private long _nextContextId = Random.Shared.NextInt64(1L << 40, 1L << 52);

    public DisaggregationService(ServerSettings settings, InferenceEngine engine, ServerMetrics metrics, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _settings = settings;
        _engine = engine;
        _metrics = metrics;
        _logger = loggerFactory.CreateLogger("Tandem.Server.Disaggregation");
        var transfer = settings.CacheTransceiver;
        if (settings.ServerRole != ServerRole.Generation)
        {
            // cache_transceiver_config.host wins over --host; "localhost" binds IPv4 loopback (what it resolves to
            // for the generation server on this machine); a wildcard advertises per KvTransferServerAddress.
            var host = transfer.Host ?? settings.Host;
            _sender = new KvTransferServer(
                new EngineKvSource(engine),
                new KvTransferServerOptions
                {
                    Host = host is "localhost" ? "127.0.0.1" : host,
                    Port = transfer.Port,
                    MaxTokensInBuffer = transfer.MaxTokensInBuffer,
                    Lease = TimeSpan.FromMilliseconds(transfer.KvTransferTimeoutMs),
                },
                time,
                loggerFactory.CreateLogger<KvTransferServer>());
            _sender.Start();
        }

        if (settings.ServerRole != ServerRole.Context)
        {
            _receiver = new KvTransferClient(new KvTransferClientOptions(), time, loggerFactory.CreateLogger<KvTransferClient>());
        }
    }

    /// <summary>The transfer listener's advertised address, for logs and server_info; null on a generation server.</summary>
    public string? TransferEndpoint => _sender?.LocalEndpoint is { } endpoint
        ? (_sender.AdvertisedHost.Contains(':', StringComparison.Ordinal) ? $"[{_sender.AdvertisedHost}]:{endpoint.Port}" : $"{_sender.AdvertisedHost}:{endpoint.Port}")
        : null;

    public KvTransferStats? SenderStats => _sender?.Stats;

    public KvTransferStats? ReceiverStats => _receiver?.Stats;

    /// <summary>Refuses request types this server's role does not take.</summary>
    public ErrorResponse? CheckRole(DisaggregatedRequestType type) => (type, _settings.ServerRole) switch
    {
        (DisaggregatedRequestType.GenerationOnly, ServerRole.Context) => ErrorResponse.InvalidRequest(
            "This is a context server (--server_role context): it does not take generation_only requests; send them to a generation server.",
            "disaggregated_params.request_type"),
        (DisaggregatedRequestType.ContextOnly, ServerRole.Generation) => ErrorResponse.InvalidRequest(
            "This is a generation server (--server_role generation): it does not take context_only requests; send them to a context server.",
            "disaggregated_params.request_type"),
        _ => null,
    };

    /// <summary>A fresh TensorRT-LLM-style integer id for a context-only request.</summary>
    public long NextContextRequestId() => Interlocked.Increment(ref _nextContextId);

    /// <summary>
    /// Makes a finished context-only request's held blocks pullable and describes them for the generation server;
    /// <paramref name="arrivedOn"/> (the request's local address) is what a wildcard-bound listener advertises.
    /// </summary>
    public DisaggregatedParams ContextParams(string engineRequestId, long contextRequestId, IReadOnlyList<int> firstTokens, IPAddress? arrivedOn)
    {
        var state = _sender!.Register(engineRequestId, arrivedOn);
        return new DisaggregatedParams
        {
            RequestType = DisaggregatedRequestType.ContextOnly,
            FirstGenTokens = firstTokens,
            CtxRequestId = contextRequestId,
            EncodedOpaqueState = state.Encode(),
            DraftTokens = null,
        };
    }

    /// <summary>
    /// Pulls a generation-only request's KV blocks (<paramref name="promptTokens"/> positions), or applies the failure
    /// policy; in gen-only benchmark mode a request without a transfer state gets a zero cache of that length.
    /// </summary>
    public async Task<GenerationKv> PullAsync(DisaggregatedParams parameters, string requestId, int promptTokens, CancellationToken cancellationToken)
    {
        if (parameters.EncodedOpaqueState is null && _settings.BenchmarkGenerationOnly)
        {
            var layout = _engine.Layout;
            return new GenerationKv(new KvSnapshot(layout, promptTokens, new byte[layout.BlocksFor(promptTokens) * layout.BlockBytes]) { IsPlaceholder = true }, false, null);
        }

        string reason;
        if (!KvTransferState.TryDecode(parameters.EncodedOpaqueState, out var state, out var decodeError))
        {
            reason = $"disaggregated_params.encoded_opaque_state is not a Tandem transfer state: {decodeError}";
            if (parameters.EncodedOpaqueState is null)
            {
                return new GenerationKv(null, false, ErrorResponse.InvalidRequest("A generation_only request needs disaggregated_params.encoded_opaque_state from the context server's answer.", "disaggregated_params.encoded_opaque_state"));
            }
        }
        else
        {
            var result = await _receiver!.PullAsync(state, _engine.Layout, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                _metrics.KvTransfer("ok");
                return new GenerationKv(result.Snapshot, false, null);
            }

            if (result.Error == KvTransferError.LayoutMismatch)
            {
                _metrics.KvTransfer("failed");
                return new GenerationKv(null, false, ErrorResponse.InvalidRequest($"The context server's KV cache does not fit this server: {result.Reason}", "disaggregated_params.encoded_opaque_state"));
            }

            reason = $"KV transfer from {state.Host}:{state.Port} failed ({result.Error}): {result.Reason}";
        }

        _metrics.KvTransfer("failed");
        if (_settings.CacheTransceiver.FailurePolicy == KvTransferFailurePolicy.Fail)
        {
            DisaggregationLog.TransferFailed(_logger, requestId, reason);
            return new GenerationKv(null, false, ErrorResponse.BadGateway(reason + " (kv_transfer_failure_policy: fail)"));
        }

        DisaggregationLog.Recomputing(_logger, requestId, reason);
        _metrics.KvRecomputed();
        return new GenerationKv(null, true, null);
    }

    /// <summary>
    /// <c>POST /kv_cache_release</c>: frees a context-only request's held blocks when its generation leg will not come
    /// (see <see cref="IKvSender.ReleaseAsync"/>); <paramref name="encodedOpaqueState"/> is the state this server
    /// answered the request with, whose secret proves the caller saw that answer.
    /// </summary>
    public async Task<(KvReleaseResult? Result, ErrorResponse? Error)> ReleaseAsync(string? encodedOpaqueState)
    {
        const string param = "disaggregated_params.encoded_opaque_state";
        if (_sender is null)
        {
            return (null, ErrorResponse.InvalidRequest("This is a generation server (--server_role generation): it holds no KV blocks for transfer.", param));
        }

        if (!KvTransferState.TryDecode(encodedOpaqueState, out var state, out var problem))
        {
            return (null, ErrorResponse.InvalidRequest($"{param} is not a Tandem transfer state: {problem}", param));
        }

        var result = await _sender.ReleaseAsync(state.RequestId, state.Secret).ConfigureAwait(false);
        return result.Outcome == KvReleaseOutcome.Refused ? (null, ErrorResponse.PermissionDenied(result.Reason, param)) : (result, null);
    }

    public async ValueTask DisposeAsync()
    {
        if (_sender is not null)
        {
            await _sender.DisposeAsync().ConfigureAwait(false);
        }
    }
}
