using System.Threading.Channels;
using Tandem.Engine.Execution;
using Tandem.Engine.Sampling;

namespace Tandem.Engine.Scheduling;

/// <summary>
/// A request's state on the engine thread.
///
/// <code>
///  Tokens:  [ prompt ............ | generated ...... ]
///  Computed: KV for Tokens[0..Computed) is in Blocks; the next step feeds Tokens[Computed..].
///  A sequence samples when Computed catches up with Tokens.Count.
/// </code>
/// </summary>
internal sealed class Sequence
{
    /// <summary>Sizes the block list once (<paramref name="maxBlocks"/>: all the sequence can ever hold), so decoding never grows it.</summary>
    public Sequence(EngineRequest request, Sampler sampler, ChannelWriter<GenerationEvent> events, long arrival, int maxBlocks)
    {
        Request = request;
        Sampler = sampler;
        Events = events;
        Arrival = arrival;
        Tokens = new List<int>(request.PromptTokens.Count + request.MaxTokens);
        Tokens.AddRange(request.PromptTokens);
        PromptLength = request.PromptTokens.Count;
        Blocks = new List<int>(maxBlocks);
    }

    public EngineRequest Request { get; }

    public string Id => Request.Id;

    public Sampler Sampler { get; }

    public ChannelWriter<GenerationEvent> Events { get; }

    /// <summary>Order of arrival; the scheduler serves older sequences first and preempts the youngest.</summary>
    public long Arrival { get; }

    public List<int> Tokens { get; }

    public int PromptLength { get; }

    public int Computed { get; set; }

    public List<int> Blocks { get; }

    public int Generated => Tokens.Count - PromptLength;

    /// <summary>Tokens the next step should feed to catch up.</summary>
    public int Pending => Tokens.Count - Computed;

    /// <summary>Imported KV not yet copied into this engine's cache (generation-only, before admission).</summary>
    /// <summary>Its KV starts from a placeholder snapshot (<see cref="KvCache.KvSnapshot.IsPlaceholder"/>): never indexed for reuse.</summary>
    public bool PlaceholderKv { get; set; }

    public bool AwaitingImport { get; set; }

    public int Preemptions { get; set; }

    /// <summary>Blocks its first admission took from the block-reuse cache instead of computing them.</summary>
    public int ReusedBlocks { get; set; }

    /// <summary>Engine timestamps and steps for the request's metrics (<see cref="RequestMetrics"/>); 0 / -1 until they happen.</summary>
    public long SubmittedAt { get; init; }

    public long FirstScheduledAt { get; set; }

    public long FirstTokenAt { get; set; }

    public long LastTokenAt { get; set; }

    public long FirstIteration { get; set; } = -1;

    public long LastIteration { get; set; } = -1;

    /// <summary>The metrics so far, with the blocks it holds now.</summary>
    public RequestMetrics Metrics() => new(SubmittedAt, FirstScheduledAt, FirstTokenAt, LastTokenAt, FirstIteration, LastIteration, Blocks.Count, ReusedBlocks);
}
