using Tandem.Engine.Execution;
using Tandem.Engine.KvCache;
using Tandem.Transfer;

namespace Tandem.Server.Disaggregation;

/// <summary>The engine as the transfer sender's source of held KV blocks.</summary>
internal sealed class EngineKvSource(InferenceEngine engine) : IKvSource
{
    public KvCacheLayout Layout => engine.Layout;

    public Task<KvSnapshot?> ExportAsync(string requestId) => engine.ExportKvAsync(requestId);

    public Task<bool> ReleaseAsync(string requestId) => engine.ReleaseKvAsync(requestId);
}
