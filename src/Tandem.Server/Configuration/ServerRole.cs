namespace Tandem.Server.Configuration;

/// <summary>Which disaggregated phases a worker serves (TensorRT-LLM's <c>--server_role</c>).</summary>
public enum ServerRole
{
    /// <summary>Aggregated: accepts context-only, generation-only and full requests.</summary>
    Both,

    /// <summary>Runs prompts (prefill) and keeps their KV blocks for a generation server to pull.</summary>
    Context,

    /// <summary>Decodes requests whose KV blocks it pulls from a context server.</summary>
    Generation,
}
