using Tandem.Contracts;
using Tandem.Engine.Execution;

namespace Tandem.Server.Generation;

/// <summary>A validated request, ready for the engine: tokens and parameters plus what shapes the response.</summary>
internal sealed record GenerationPlan(
    EngineRequest Request,
    IReadOnlyList<string> Stops,
    int? Logprobs,
    bool Stream,
    bool IncludeUsage,
    string? EchoText,
    DisaggregatedParams? Disaggregated = null)
{
    public RequestType Type => Request.Type;
}
