using System.Threading.Channels;

namespace Tandem.Engine.Execution;

/// <summary>A submitted request: its event stream, and a way to cancel it.</summary>
public sealed class RequestHandle
{
    private readonly InferenceEngine _engine;

    internal RequestHandle(string id, ChannelReader<GenerationEvent> events, InferenceEngine engine)
    {
        Id = id;
        Events = events;
        _engine = engine;
    }

    public string Id { get; }

    public ChannelReader<GenerationEvent> Events { get; }

    /// <summary>Stops the request within one engine step and frees its blocks; the stream ends with <see cref="FinishReason.Cancelled"/>.</summary>
    public void Cancel() => _engine.Cancel(Id);
}
