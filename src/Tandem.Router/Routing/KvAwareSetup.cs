using Microsoft.Extensions.Logging;
using Tandem.Engine.Hub;
using Tandem.Engine.Models;
using Tandem.Engine.Runtime;

namespace Tandem.Router.Routing;

/// <summary>
/// Readies the sections whose policy is <c>kv_cache_aware</c>: loads the tokenizer and chat template of the config's
/// <c>model</c> (a directory, a GGUF file or a Hugging Face repo id, as a worker resolves it) to hash prompts, and wires a
/// <see cref="KvEventsPoller"/> to the policy.
/// </summary>
internal static class KvAwareSetup
{
    public static async Task ApplyAsync(RouterState state, ILogger logger, CancellationToken cancellationToken)
    {
        var sections = new[] { state.Cluster.Context, state.Cluster.Generation }.Where(s => s.Policy is KvCacheAwarePolicy).ToList();
        if (sections.Count == 0)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(state.Config.Model))
        {
            throw new RouterStartException("router type kv_cache_aware needs the top-level 'model' key: the router tokenizes prompts with that model's tokenizer to find which server holds their start");
        }

        var model = state.Config.Model;
        PromptEncoder encoder;
        try
        {
            var path = File.Exists(model) && model.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)
                ? model
                : await ModelLocator.ResolveAsync(model, new HubOptions(), cancellationToken: cancellationToken).ConfigureAwait(false);
            encoder = PromptEncoder.Load(path);
        }
        catch (Exception e) when (e is ModelLoadException or Engine.Tokenization.TokenizerLoadException or IOException or HttpRequestException)
        {
            throw new RouterStartException($"router type kv_cache_aware cannot load the tokenizer of model '{model}': {e.Message}", e);
        }

        foreach (var section in sections)
        {
            var policy = (KvCacheAwarePolicy)section.Policy;
            section.Blocks = new PromptBlocks(encoder, policy.TokensPerBlock);
            var poller = new KvEventsPoller(policy, state.Http, state.Time, state.Options.PerfMetricsTimeout, logger);
            policy.OnFinished = poller.Request;
            RouterLog.KvAwareReady(logger, section.Role, model, policy.TokensPerBlock);
        }
    }
}
